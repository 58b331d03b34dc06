// Text helpers shared by the command-line tools: money with two decimals, UTC dates from epoch
// milliseconds, and a plain left/right-aligned text table for terminal output.
//
// Money is formatted from integer cents, never through floating point: 1234 -> "12.34",
// -5 -> "-0.05". Dates use the proleptic Gregorian calendar in UTC.
//
// Thread safety: functions are re-entrant; a TextTable is a plain value (one thread at a time).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "loyalty/base/money.h"

namespace loyalty::tools {

// Cents as "[-]units.cc".
std::string formatMoney(base::Money amount);

// Whole points with a sign for negatives: "-12", "340".
std::string formatPoints(base::Points points);

// Milliseconds since the Unix epoch (may be negative) -> "YYYY-MM-DD" (UTC).
std::string utcDate(int64_t epochMs);

// Milliseconds since the Unix epoch -> "HHMMSS" (UTC).
std::string utcTimeCompact(int64_t epochMs);

// A value in microseconds as milliseconds with three decimals: 1234 -> "1.234".
std::string formatMicrosAsMillis(int64_t micros);

class TextTable {
 public:
  enum class Align { kLeft, kRight };

  // One header per column; Requires: aligns.size() == headers.size() when aligns is given.
  explicit TextTable(std::vector<std::string> headers, std::vector<Align> aligns = {});

  // Requires: cells.size() == the number of columns.
  void addRow(std::vector<std::string> cells);
  size_t rowCount() const { return rows_.size(); }

  // Columns separated by two spaces, padded to the widest cell, no trailing spaces; each line
  // ends in '\n'. The header line comes first.
  std::string render() const;

 private:
  std::vector<std::string> headers_;
  std::vector<Align> aligns_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace loyalty::tools

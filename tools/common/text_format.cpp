#include "common/text_format.h"

#include <algorithm>
#include <cassert>
#include <cstdio>

namespace loyalty::tools {
namespace {

constexpr int64_t kMsPerDay = 86'400'000;

// Howard Hinnant's civil_from_days: days since 1970-01-01 -> (year, month, day).
void civilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2 ? 1 : 0;
}

int64_t floorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) {
    --q;
  }
  return q;
}

}  // namespace

std::string formatMoney(base::Money amount) {
  const int64_t v = amount.value();
  // Work on the magnitude as unsigned so that INT64_MIN does not overflow.
  const uint64_t mag = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  std::string cents = std::to_string(mag % 100);
  if (cents.size() < 2) {
    cents.insert(0, "0");
  }
  return (v < 0 ? "-" : "") + std::to_string(mag / 100) + "." + cents;
}

std::string formatPoints(base::Points points) { return std::to_string(points.value()); }

std::string utcDate(int64_t epochMs) {
  int64_t y = 0;
  unsigned m = 0;
  unsigned d = 0;
  civilFromDays(floorDiv(epochMs, kMsPerDay), y, m, d);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
  return buf;
}

std::string utcTimeCompact(int64_t epochMs) {
  const int64_t msOfDay = epochMs - floorDiv(epochMs, kMsPerDay) * kMsPerDay;
  const int64_t s = msOfDay / 1000;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%02lld%02lld%02lld", static_cast<long long>(s / 3600),
                static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  return buf;
}

std::string formatMicrosAsMillis(int64_t micros) {
  const uint64_t mag =
      micros < 0 ? 0 - static_cast<uint64_t>(micros) : static_cast<uint64_t>(micros);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s%llu.%03llu", micros < 0 ? "-" : "",
                static_cast<unsigned long long>(mag / 1000),
                static_cast<unsigned long long>(mag % 1000));
  return buf;
}

TextTable::TextTable(std::vector<std::string> headers, std::vector<Align> aligns)
    : headers_(std::move(headers)), aligns_(std::move(aligns)) {
  if (aligns_.empty()) {
    aligns_.assign(headers_.size(), Align::kLeft);
  }
  assert(aligns_.size() == headers_.size());
}

void TextTable::addRow(std::vector<std::string> cells) {
  assert(cells.size() == headers_.size());
  cells.resize(headers_.size());
  rows_.push_back(std::move(cells));
}

std::string TextTable::render() const {
  std::vector<size_t> widths(headers_.size(), 0);
  for (size_t c = 0; c < headers_.size(); ++c) {
    widths[c] = headers_[c].size();
    for (const auto& row : rows_) {
      widths[c] = std::max(widths[c], row[c].size());
    }
  }
  std::string out;
  auto renderLine = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (size_t c = 0; c < cells.size(); ++c) {
      if (c > 0) {
        line += "  ";
      }
      const size_t pad = widths[c] - cells[c].size();
      if (aligns_[c] == Align::kRight) {
        line.append(pad, ' ');
        line += cells[c];
      } else {
        line += cells[c];
        line.append(pad, ' ');
      }
    }
    while (!line.empty() && line.back() == ' ') {
      line.pop_back();
    }
    out += line;
    out.push_back('\n');
  };
  renderLine(headers_);
  for (const auto& row : rows_) {
    renderLine(row);
  }
  return out;
}

}  // namespace loyalty::tools

// TaFeng reader: loads the preprocessed Ta-Feng grocery baskets (shared data, see its README)
// into memory for the simulator and other tools.
//
// Input: a folder holding `tafeng_history.json` and `tafeng_future.json`, each of the form
// {"<user>": [[-1], basket, ..., basket, [-1]]} where a basket is an array of item ids (integers
// >= 0) and [-1] is a sentinel that opens and closes every user's list. The history file holds
// every basket of a user but the last, oldest first; the future file holds the last one.
//
// Invariants of a loaded TaFengData:
//   - shoppers are sorted by userId, with no two shoppers sharing a userId;
//   - each shopper's baskets are the history baskets in file order, then the future basket;
//     sentinels are removed; every shopper has at least one basket; every basket is non-empty
//     and holds item ids >= 0 in file order (duplicates, if any, are kept).
// A user may appear in only one of the two files. A future list must hold exactly one basket.
//
// Errors (never exceptions): kNotFound for a missing or unreadable file; the JSON parser's own
// codes (kMalformedJson, ...) for a file that is not JSON; kInvalidValue for a document of the
// wrong shape. Messages name the file and, for shape errors, the user and basket.
//
// Thread safety: the functions are re-entrant; TaFengData is a plain value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "loyalty/base/result.h"

namespace loyalty::tools {

inline constexpr const char* kTaFengHistoryFile = "tafeng_history.json";
inline constexpr const char* kTaFengFutureFile = "tafeng_future.json";

struct Shopper {
  int64_t userId = 0;
  std::vector<std::vector<int64_t>> baskets;  // oldest first; the last is the "future" basket
};

struct TaFengData {
  std::vector<Shopper> shoppers;  // sorted by userId

  size_t basketCount() const;
  // Every distinct item id in the data, ascending.
  std::vector<int64_t> itemIds() const;
};

// Parses the two documents (already read into memory). `historyName` and `futureName` only
// label error messages.
base::Result<TaFengData> parseTaFeng(std::string_view historyJson, std::string_view futureJson,
                                     std::string_view historyName = kTaFengHistoryFile,
                                     std::string_view futureName = kTaFengFutureFile);

// Reads `dir`/tafeng_history.json and `dir`/tafeng_future.json and parses them.
base::Result<TaFengData> loadTaFeng(const std::string& dir);

}  // namespace loyalty::tools

// Basket data for offline evaluation: loading the TaFeng JSON files or a generic CSV into one
// in-memory form, and the optional filters.
//
// Generic CSV: read with the tools' shared reader (common/basket_csv.h): a header line, then
// `customer_id,basket_key,item_id[,quantity,unit_price_cents]` (fields may be double-quoted;
// quantity and price are accepted and ignored). basket_key orders one customer's baskets: as
// integers when every key in the file is an integer, else as strings (YYYY-MM-DD dates and ISO
// timestamps sort correctly as strings). Item ids are used as they are
// when every one is an integer; otherwise the distinct names are sorted and numbered 0, 1, ....
// Each customer's last basket is the target, the others the history.
//
// TaFeng: `tafeng_history.json` (every basket but the last) and `tafeng_future.json` (the last),
// read with loyalty::tools' TaFeng reader. A user only in the history file has no target.
//
// Invariants of an EvalData (both sources): users sorted by key (as integers when every key is
// an integer, else as strings), keys distinct; every basket is non-empty and a set (distinct ids,
// in first-seen order); hasTarget == !target.empty(). The same baskets given as CSV or as JSON
// therefore give identical EvalData.
//
// Thread safety: re-entrant functions over plain values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "loyalty/base/result.h"

namespace loyalty::tools::eval {

using Basket = std::vector<int64_t>;

struct EvalUser {
  std::string key;              // the customer id as written in the input
  std::vector<Basket> history;  // oldest first
  Basket target;                // the last basket; empty when !hasTarget
  bool hasTarget = false;
};

struct EvalData {
  std::vector<EvalUser> users;
};

struct DataStats {
  size_t users = 0;
  size_t usersWithTarget = 0;
  size_t baskets = 0;
  size_t items = 0;  // distinct
  size_t rows = 0;   // basket-item pairs
};

// Filters, applied to each user's sequence of baskets (history, then target):
//   1. when minItemCount > 0, items in fewer than minItemCount history baskets (over all users)
//      are removed from every basket, and baskets left empty are dropped (a user whose target
//      empties loses it);
//   2. users with fewer than minBaskets or (when maxBaskets > 0) more than maxBaskets baskets
//      left are dropped.
// The defaults change nothing on data whose users all have at least two baskets (TaFeng: 3..50):
// a user needs a history and a target to be evaluated.
struct FilterOptions {
  size_t minBaskets = 2;
  size_t maxBaskets = 0;    // 0: no upper limit
  size_t minItemCount = 0;  // 0: keep every item
};

// Errors: those of loyalty::tools::loadTaFeng (kNotFound, kMalformedJson, kInvalidValue, ...).
base::Result<EvalData> loadTaFengDir(const std::string& dir);
// Errors: as parseTaFeng, from the two documents in memory.
base::Result<EvalData> parseTaFengJson(std::string_view historyJson, std::string_view futureJson);

// Errors: kNotFound (unreadable file), kInvalidCsv (message names the line).
base::Result<EvalData> loadBasketCsv(const std::string& path);
base::Result<EvalData> parseBasketCsv(std::string_view text, std::string_view name = "csv");

EvalData applyFilters(const EvalData& data, const FilterOptions& options);
DataStats statsOf(const EvalData& data);

}  // namespace loyalty::tools::eval

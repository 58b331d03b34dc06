// History import: past baskets (e.g. a public grocery data set) loaded into the core as sales,
// so that habit profiles start from a shopper's real history (docs/personalization.md,
// "Imported history"; endpoint in docs/protocol.md, "History import").
//
// Input: CSV (RFC 4180 quoting), a header line exactly `customer_id,basket_key,item_id` or
// `customer_id,basket_key,item_id,quantity,unit_price_cents`, then one row per basket line.
// Blank lines are skipped. At most kMaxHistoryRows rows per call. parseHistoryCsv() refuses the
// whole input on the first bad row (kInvalidCsv, "line N: ..."), so nothing is imported from it.
//
// How a basket becomes a sale (normative, the docs copy it):
//   - customer_id: decimal integer 0 .. kMaxHistoryCustomerNumber; the card is the one the
//     caller derives from it (the core: protocol::cardForCustomerNumber(customer_id + 1), as the
//     simulator does); unknown cards are enrolled.
//   - sale key: store "IMPORT", terminal "HIST", business date = basket_key when it starts with
//     a valid YYYY-MM-DD date (followed by nothing, 'T' or ' '), else "2000-01-01";
//     txn = historyTxnOf(customer_id, basket_key) (see below).
//   - lines: one per row, numbered 1.. in file order; sku = skuPrefix + item_id (must be 1..64
//     printable ASCII characters); quantity 1..kMaxHistoryQuantity and unit price
//     0..kMaxHistoryUnitPrice cents from the row, or quantity 1 and price 0 with 3 columns.
//   - Baskets of one customer are ordered by basket_key: as integers when every key of the
//     input is an integer, else as byte strings (dates and ISO timestamps sort correctly).
//     Customers keep the order of their first row.
//
// Thread safety: pure functions over plain values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/model.h"
#include "loyalty/base/result.h"

namespace loyalty::core::domain {

inline constexpr size_t kMaxHistoryRows = 50'000;
inline constexpr int64_t kMaxHistoryCustomerNumber = 99'999'999'998;  // 10^11 - 2
inline constexpr int64_t kMaxHistoryQuantity = 1'000'000;
inline constexpr int64_t kMaxHistoryUnitPrice = 100'000'000;  // cents
inline constexpr size_t kMaxHistoryBasketKeyBytes = 64;
inline constexpr const char* kHistoryStore = "IMPORT";
inline constexpr const char* kHistoryTerminal = "HIST";
inline constexpr const char* kHistoryDefaultDate = "2000-01-01";
inline constexpr const char* kDefaultHistorySkuPrefix = "TF";

struct HistoryLine {
  std::string sku;
  int64_t quantity = 1;
  Money unitPrice;
};

struct HistoryBasket {
  int64_t customerNumber = 0;  // customer_id as in the CSV
  std::string basketKey;
  TxnKey key;
  uint64_t fingerprint = 0;  // FNV-1a 64 of the lines (sku, quantity, price)
  std::vector<HistoryLine> lines;
};

struct HistoryBatch {
  // Grouped by customer (order of first appearance), each customer's baskets in basket_key
  // order (file comment).
  std::vector<HistoryBasket> baskets;
  size_t rows = 0;
};

// txn of an imported basket, at most 32 characters of [A-Za-z0-9_-]:
//   "<customer_id>_<basket_key>" when basket_key is made of [A-Za-z0-9-] and the result fits;
//   else "h" + 16 lower-case hex digits of FNV-1a 64 of "<customer_id>,<basket_key>".
// The first form starts with a digit and the second with 'h', so the two never collide.
std::string historyTxnOf(int64_t customerNumber, std::string_view basketKey);
// The business date of an imported basket (file comment).
std::string historyBusinessDateOf(std::string_view basketKey);

// Errors: kInvalidCsv ("line N: ..."), kInvalidValue for a bad skuPrefix (more than 16
// characters, or not [A-Za-z0-9_-]).
base::Result<HistoryBatch> parseHistoryCsv(std::string_view csv,
                                           std::string_view skuPrefix = kDefaultHistorySkuPrefix);

}  // namespace loyalty::core::domain

// Generic basket CSV reader shared by the tools (loyalty-eval, loyalty-import).
//
// Format: a header line (any names; the first field must not be an integer), then one row per
// basket line: `customer_id,basket_key,item_id[,quantity,unit_price_cents]` (3 or 5 columns, as
// the header). Fields may be double-quoted ("" is a quote inside one); spaces around unquoted
// fields are trimmed; blank lines are skipped; CRLF is accepted. customer_id, basket_key and
// item_id must not be empty. quantity and unit_price_cents are kept as written (each tool
// checks them; loyalty-eval ignores them).
//
// Grouping and order: customers in the order of their first row; a customer's baskets are the
// distinct basket_keys of their rows, ordered as integers when every basket_key of the file is
// an integer (ties, e.g. "7" and "07", by string), else as byte strings (YYYY-MM-DD dates and
// ISO timestamps sort correctly); a basket's lines keep file order.
//
// Errors: kNotFound (unreadable file), kInvalidCsv "<name>:<line>: <what>".
// Thread safety: re-entrant functions over plain values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "loyalty/base/result.h"

namespace loyalty::tools {

struct CsvBasketLine {
  std::string item;
  std::string quantity;        // "" with 3 columns
  std::string unitPriceCents;  // "" with 3 columns
};

struct CsvBasket {
  std::string key;
  std::vector<CsvBasketLine> lines;  // file order
};

struct CsvCustomer {
  std::string key;
  std::vector<CsvBasket> baskets;  // basket_key order (file comment)
};

struct BasketCsv {
  std::vector<CsvCustomer> customers;  // order of first row
  size_t columns = 0;                  // 3 or 5
  size_t rows = 0;                     // basket lines
};

// "-12" -> -12: digits with an optional leading '-', fitting in int64_t.
bool parseCsvInteger(std::string_view s, int64_t& out);

base::Result<BasketCsv> parseBasketCsv(std::string_view text, std::string_view name = "csv");
base::Result<BasketCsv> loadBasketCsv(const std::string& path);

}  // namespace loyalty::tools

#include "common/basket_csv.h"

#include <algorithm>
#include <unordered_map>
#include <utility>

#include "common/files.h"

namespace loyalty::tools {
namespace {

using base::ErrorCode;
using base::makeError;

base::Error csvError(std::string_view name, size_t line, const std::string& what) {
  return makeError(ErrorCode::kInvalidCsv,
                   std::string(name) + ":" + std::to_string(line) + ": " + what);
}

std::string_view trimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// Splits one line into fields; a field may be double-quoted ("" is a quote inside one).
// Returns false on an unterminated quote or text after a closing quote.
bool splitFields(std::string_view line, std::vector<std::string>& fields) {
  fields.clear();
  size_t i = 0;
  while (true) {
    std::string field;
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) {
      ++i;
    }
    if (i < line.size() && line[i] == '"') {
      ++i;
      bool closed = false;
      while (i < line.size()) {
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        field.push_back(line[i++]);
      }
      if (!closed) {
        return false;
      }
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) {
        ++i;
      }
      if (i < line.size() && line[i] != ',') {
        return false;
      }
    } else {
      const size_t comma = line.find(',', i);
      const size_t end = comma == std::string_view::npos ? line.size() : comma;
      field = std::string(trimSpaces(line.substr(i, end - i)));
      i = end;
    }
    fields.push_back(std::move(field));
    if (i >= line.size()) {
      return true;
    }
    ++i;  // the comma
  }
}

struct CsvRow {
  uint32_t customer = 0;
  uint32_t basketKey = 0;  // index into the basket key table
  CsvBasketLine line;
};

}  // namespace

bool parseCsvInteger(std::string_view s, int64_t& out) {
  size_t i = 0;
  bool negative = false;
  if (!s.empty() && s[0] == '-') {
    negative = true;
    i = 1;
  }
  if (i == s.size() || s.size() - i > 19) {
    return false;
  }
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') {
      return false;
    }
    v = v * 10 + static_cast<uint64_t>(s[i] - '0');
  }
  const uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  if (v > limit) {
    return false;
  }
  out = negative ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  return true;
}

base::Result<BasketCsv> parseBasketCsv(std::string_view text, std::string_view name) {
  std::vector<std::string> customers;
  std::unordered_map<std::string, uint32_t> customerIndex;
  std::vector<std::string> basketKeys;
  std::unordered_map<std::string, uint32_t> basketKeyIndex;
  std::vector<CsvRow> rows;

  auto intern = [](std::vector<std::string>& names,
                   std::unordered_map<std::string, uint32_t>& index, std::string&& s) {
    auto [it, inserted] = index.emplace(s, static_cast<uint32_t>(names.size()));
    if (inserted) {
      names.push_back(std::move(s));
    }
    return it->second;
  };

  size_t columns = 0;
  size_t lineNo = 0;
  size_t pos = 0;
  std::vector<std::string> fields;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++lineNo;
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (trimSpaces(line).empty()) {
      continue;
    }
    if (!splitFields(line, fields)) {
      return csvError(name, lineNo, "badly quoted field");
    }
    if (columns == 0) {
      if (fields.size() != 3 && fields.size() != 5) {
        return csvError(name, lineNo,
                        "the header must name 3 or 5 columns: "
                        "customer_id,basket_key,item_id[,quantity,unit_price_cents]");
      }
      int64_t ignored = 0;
      if (parseCsvInteger(fields[0], ignored)) {
        return csvError(name, lineNo, "the first line must be a header, not data");
      }
      columns = fields.size();
      continue;
    }
    if (fields.size() != columns) {
      return csvError(name, lineNo,
                      "expected " + std::to_string(columns) + " fields, found " +
                          std::to_string(fields.size()));
    }
    for (size_t f = 0; f < 3; ++f) {
      if (fields[f].empty()) {
        return csvError(name, lineNo, "empty customer_id, basket_key or item_id");
      }
    }
    if (rows.size() >= UINT32_MAX - 1) {
      return csvError(name, lineNo, "too many rows");
    }
    CsvRow row;
    row.customer = intern(customers, customerIndex, std::move(fields[0]));
    row.basketKey = intern(basketKeys, basketKeyIndex, std::move(fields[1]));
    row.line.item = std::move(fields[2]);
    if (columns == 5) {
      row.line.quantity = std::move(fields[3]);
      row.line.unitPriceCents = std::move(fields[4]);
    }
    rows.push_back(std::move(row));
  }
  if (columns == 0) {
    return csvError(name, lineNo, "empty file: a header line is required");
  }

  // Basket order: as integers when every key is one, else as strings.
  std::vector<int64_t> keyValues(basketKeys.size(), 0);
  bool keysAreIntegers = true;
  for (size_t i = 0; i < basketKeys.size() && keysAreIntegers; ++i) {
    keysAreIntegers = parseCsvInteger(basketKeys[i], keyValues[i]);
  }
  auto keyLess = [&](uint32_t a, uint32_t b) {
    if (keysAreIntegers && keyValues[a] != keyValues[b]) {
      return keyValues[a] < keyValues[b];
    }
    return basketKeys[a] < basketKeys[b];
  };

  // Rows grouped by customer, in file order within each customer.
  std::vector<std::vector<uint32_t>> rowsOf(customers.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    rowsOf[rows[r].customer].push_back(static_cast<uint32_t>(r));
  }
  BasketCsv out;
  out.columns = columns;
  out.rows = rows.size();
  out.customers.reserve(customers.size());
  for (size_t c = 0; c < customers.size(); ++c) {
    std::vector<uint32_t> keys;
    for (uint32_t r : rowsOf[c]) {
      keys.push_back(rows[r].basketKey);
    }
    std::sort(keys.begin(), keys.end(), keyLess);
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    CsvCustomer customer;
    customer.key = customers[c];
    customer.baskets.resize(keys.size());
    for (size_t k = 0; k < keys.size(); ++k) {
      customer.baskets[k].key = basketKeys[keys[k]];
    }
    for (uint32_t r : rowsOf[c]) {
      auto it = std::lower_bound(keys.begin(), keys.end(), rows[r].basketKey, keyLess);
      customer.baskets[static_cast<size_t>(it - keys.begin())].lines.push_back(
          std::move(rows[r].line));
    }
    out.customers.push_back(std::move(customer));
  }
  return out;
}

base::Result<BasketCsv> loadBasketCsv(const std::string& path) {
  auto text = readWholeFile(path);
  if (!text) {
    return text.error();
  }
  return parseBasketCsv(text.value(), path);
}

}  // namespace loyalty::tools

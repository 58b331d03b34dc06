#include "domain/history_import.h"

#include <algorithm>
#include <unordered_map>
#include <utility>

#include "domain/csv.h"
#include "domain/item_id.h"

namespace loyalty::core::domain {
namespace {

using base::ErrorCode;

base::Error csvError(size_t line, const std::string& what) {
  return base::makeError(ErrorCode::kInvalidCsv, "line " + std::to_string(line) + ": " + what);
}

// Decimal digits only (no sign), at most 18 of them.
bool parseDigits(std::string_view s, int64_t& out) {
  if (s.empty() || s.size() > 18) {
    return false;
  }
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') {
      return false;
    }
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

// An optionally negative integer of at most 18 digits (basket keys ordered as integers).
bool parseSignedInteger(std::string_view s, int64_t& out) {
  const bool negative = !s.empty() && s[0] == '-';
  if (!parseDigits(negative ? s.substr(1) : s, out)) {
    return false;
  }
  out = negative ? -out : out;
  return true;
}

bool isKeyChar(char c, bool allowUnderscore) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         (allowUnderscore && c == '_');
}

bool isDigits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

uint64_t mixInt(uint64_t hash, int64_t value) {
  const std::string text = std::to_string(value);
  return fnv1a64(std::string_view(text.data(), text.size() + 1), hash);  // with its '\0'
}

uint64_t fingerprintOf(const std::vector<HistoryLine>& lines) {
  uint64_t hash = fnv1a64("history");
  for (const HistoryLine& line : lines) {
    hash = fnv1a64(std::string_view(line.sku.data(), line.sku.size() + 1), hash);
    hash = mixInt(hash, line.quantity);
    hash = mixInt(hash, line.unitPrice.value());
  }
  return hash;
}

}  // namespace

std::string historyTxnOf(int64_t customerNumber, std::string_view basketKey) {
  const std::string customer = std::to_string(customerNumber);
  const bool plain = !basketKey.empty() && customer.size() + 1 + basketKey.size() <= 32 &&
                     std::all_of(basketKey.begin(), basketKey.end(),
                                 [](char c) { return isKeyChar(c, false); });
  if (plain) {
    return customer + "_" + std::string(basketKey);
  }
  const std::string joined = customer + "," + std::string(basketKey);
  uint64_t hash = fnv1a64(joined);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string txn = "h";
  for (int shift = 60; shift >= 0; shift -= 4) {
    txn.push_back(kHex[(hash >> shift) & 0xF]);
  }
  return txn;
}

std::string historyBusinessDateOf(std::string_view key) {
  const bool shape = key.size() >= 10 && key[4] == '-' && key[7] == '-' &&
                     isDigits(key.substr(0, 4)) && isDigits(key.substr(5, 2)) &&
                     isDigits(key.substr(8, 2)) &&
                     (key.size() == 10 || key[10] == 'T' || key[10] == ' ');
  if (!shape) {
    return kHistoryDefaultDate;
  }
  const int year = std::stoi(std::string(key.substr(0, 4)));
  const int month = std::stoi(std::string(key.substr(5, 2)));
  const int day = std::stoi(std::string(key.substr(8, 2)));
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (year < 1900 || month < 1 || month > 12 || day < 1 || day > kDays[month - 1]) {
    return kHistoryDefaultDate;
  }
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month == 2 && day == 29 && !leap) {
    return kHistoryDefaultDate;
  }
  return std::string(key.substr(0, 10));
}

base::Result<HistoryBatch> parseHistoryCsv(std::string_view csv, std::string_view skuPrefix) {
  if (skuPrefix.size() > 16 || !std::all_of(skuPrefix.begin(), skuPrefix.end(),
                                            [](char c) { return isKeyChar(c, true); })) {
    return base::makeError(ErrorCode::kInvalidValue,
                           "sku prefix: at most 16 characters of [A-Za-z0-9_-]");
  }
  std::vector<std::string> fields;
  size_t pos = 0;
  size_t line = 1;
  if (!readCsvRecord(csv, pos, fields, line)) {
    return csvError(1, "malformed quoting in the header");
  }
  const std::vector<std::string> kShort = {"customer_id", "basket_key", "item_id"};
  const std::vector<std::string> kLong = {"customer_id", "basket_key", "item_id", "quantity",
                                          "unit_price_cents"};
  if (fields != kShort && fields != kLong) {
    return csvError(1,
                    "the header must be customer_id,basket_key,item_id or "
                    "customer_id,basket_key,item_id,quantity,unit_price_cents");
  }
  const size_t columns = fields.size();

  HistoryBatch batch;
  struct CustomerGroup {
    int64_t number = 0;
    std::vector<size_t> baskets;  // indexes into all
  };
  std::vector<HistoryBasket> all;
  std::vector<CustomerGroup> customers;
  std::unordered_map<int64_t, size_t> customerIndex;
  std::unordered_map<std::string, size_t> basketIndex;  // "<customer>,<key>" -> index into all
  bool keysAreIntegers = true;
  while (pos < csv.size()) {
    ++line;
    const size_t recordLine = line;
    const size_t start = pos;
    if (!readCsvRecord(csv, pos, fields, line)) {
      return csvError(recordLine, "malformed quoting");
    }
    if (fields.size() == 1 && isBlankCsv(csv.substr(start, pos - start))) {
      continue;
    }
    if (fields.size() != columns) {
      return csvError(recordLine, "expected " + std::to_string(columns) + " fields, found " +
                                      std::to_string(fields.size()));
    }
    if (batch.rows >= kMaxHistoryRows) {
      return csvError(recordLine, "more than " + std::to_string(kMaxHistoryRows) +
                                      " rows in one request: send smaller chunks");
    }
    int64_t customer = 0;
    if (!parseDigits(fields[0], customer) || customer > kMaxHistoryCustomerNumber) {
      return csvError(recordLine, "customer_id must be an integer from 0 to " +
                                      std::to_string(kMaxHistoryCustomerNumber));
    }
    const std::string& key = fields[1];
    if (key.empty() || key.size() > kMaxHistoryBasketKeyBytes) {
      return csvError(recordLine, "basket_key must be 1.." +
                                      std::to_string(kMaxHistoryBasketKeyBytes) + " bytes");
    }
    if (fields[2].empty()) {
      return csvError(recordLine, "empty item_id");
    }
    HistoryLine item;
    item.sku = std::string(skuPrefix) + fields[2];
    if (!isValidSku(item.sku)) {
      return csvError(recordLine, "sku prefix + item_id must be 1..64 printable ASCII characters");
    }
    if (columns == 5) {
      int64_t quantity = 0;
      if (!parseDigits(fields[3], quantity) || quantity < 1 || quantity > kMaxHistoryQuantity) {
        return csvError(recordLine, "quantity must be an integer from 1 to " +
                                        std::to_string(kMaxHistoryQuantity));
      }
      int64_t price = 0;
      if (!parseDigits(fields[4], price) || price > kMaxHistoryUnitPrice) {
        return csvError(recordLine, "unit_price_cents must be an integer from 0 to " +
                                        std::to_string(kMaxHistoryUnitPrice));
      }
      item.quantity = quantity;
      item.unitPrice = Money(price);
    }
    int64_t ignored = 0;
    keysAreIntegers = keysAreIntegers && parseSignedInteger(key, ignored);

    auto [c, newCustomer] = customerIndex.emplace(customer, customers.size());
    if (newCustomer) {
      customers.push_back(CustomerGroup{customer, {}});
    }
    auto [b, newBasket] = basketIndex.emplace(fields[0] + "," + key, all.size());
    if (newBasket) {
      HistoryBasket basket;
      basket.customerNumber = customer;
      basket.basketKey = key;
      all.push_back(std::move(basket));
      customers[c->second].baskets.push_back(b->second);
    }
    all[b->second].lines.push_back(std::move(item));
    ++batch.rows;
  }

  auto keyLess = [&](size_t a, size_t b) {
    if (keysAreIntegers) {
      int64_t x = 0;
      int64_t y = 0;
      parseSignedInteger(all[a].basketKey, x);
      parseSignedInteger(all[b].basketKey, y);
      return x < y;
    }
    return all[a].basketKey < all[b].basketKey;
  };
  batch.baskets.reserve(all.size());
  for (CustomerGroup& group : customers) {
    std::stable_sort(group.baskets.begin(), group.baskets.end(), keyLess);
    for (size_t index : group.baskets) {
      HistoryBasket& basket = all[index];
      basket.key = TxnKey{kHistoryStore, kHistoryTerminal,
                          historyBusinessDateOf(basket.basketKey),
                          historyTxnOf(basket.customerNumber, basket.basketKey)};
      basket.fingerprint = fingerprintOf(basket.lines);
      batch.baskets.push_back(std::move(basket));
    }
  }
  return batch;
}

}  // namespace loyalty::core::domain

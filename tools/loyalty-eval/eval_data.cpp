#include "loyalty-eval/eval_data.h"

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "common/files.h"
#include "common/tafeng.h"

namespace loyalty::tools::eval {
namespace {

using base::ErrorCode;
using base::makeError;

// "-12" -> -12. Digits with an optional leading '-', fitting in int64_t.
bool parseInteger(std::string_view s, int64_t& out) {
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

// Keeps the first occurrence of every id, in order.
Basket asSet(const Basket& basket) {
  Basket out;
  out.reserve(basket.size());
  if (basket.size() <= 32) {
    for (int64_t id : basket) {
      if (std::find(out.begin(), out.end(), id) == out.end()) {
        out.push_back(id);
      }
    }
    return out;
  }
  std::unordered_set<int64_t> seen;
  for (int64_t id : basket) {
    if (seen.insert(id).second) {
      out.push_back(id);
    }
  }
  return out;
}

// Sorts users by key: as integers when every key is one, else as strings.
void sortUsers(std::vector<EvalUser>& users) {
  std::vector<std::pair<int64_t, size_t>> numeric;
  numeric.reserve(users.size());
  bool allIntegers = true;
  for (size_t i = 0; i < users.size() && allIntegers; ++i) {
    int64_t v = 0;
    allIntegers = parseInteger(users[i].key, v);
    numeric.emplace_back(v, i);
  }
  if (allIntegers) {
    std::sort(numeric.begin(), numeric.end(), [&](const auto& a, const auto& b) {
      return a.first != b.first ? a.first < b.first : users[a.second].key < users[b.second].key;
    });
    std::vector<EvalUser> sorted;
    sorted.reserve(users.size());
    for (const auto& entry : numeric) {
      sorted.push_back(std::move(users[entry.second]));
    }
    users = std::move(sorted);
    return;
  }
  std::sort(users.begin(), users.end(),
            [](const EvalUser& a, const EvalUser& b) { return a.key < b.key; });
}

// --- CSV -----------------------------------------------------------------------------------

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
  uint32_t item = 0;       // index into the item name table
};

}  // namespace

base::Result<EvalData> parseTaFengJson(std::string_view historyJson, std::string_view futureJson) {
  // Parsed one at a time so that a user with history but no future keeps no target.
  auto history = parseTaFeng(historyJson, "{}");
  if (!history) {
    return history.error();
  }
  auto future = parseTaFeng("{}", futureJson);
  if (!future) {
    return future.error();
  }
  std::map<int64_t, EvalUser> users;
  for (const Shopper& s : history->shoppers) {
    EvalUser& u = users[s.userId];
    u.key = std::to_string(s.userId);
    for (const auto& basket : s.baskets) {
      u.history.push_back(asSet(basket));
    }
  }
  for (const Shopper& s : future->shoppers) {
    EvalUser& u = users[s.userId];
    u.key = std::to_string(s.userId);
    u.target = asSet(s.baskets.front());
    u.hasTarget = true;
  }
  EvalData data;
  data.users.reserve(users.size());
  for (auto& entry : users) {
    data.users.push_back(std::move(entry.second));
  }
  sortUsers(data.users);
  return data;
}

base::Result<EvalData> loadTaFengDir(const std::string& dir) {
  const std::string prefix = dir.empty() || dir.back() == '/' ? dir : dir + "/";
  auto history = readWholeFile(prefix + kTaFengHistoryFile);
  if (!history) {
    return history.error();
  }
  auto future = readWholeFile(prefix + kTaFengFutureFile);
  if (!future) {
    return future.error();
  }
  return parseTaFengJson(history.value(), future.value());
}

base::Result<EvalData> parseBasketCsv(std::string_view text, std::string_view name) {
  std::vector<std::string> customers;
  std::unordered_map<std::string, uint32_t> customerIndex;
  std::vector<std::string> basketKeys;
  std::unordered_map<std::string, uint32_t> basketKeyIndex;
  std::vector<std::string> itemNames;
  std::unordered_map<std::string, uint32_t> itemIndex;
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
      if (parseInteger(fields[0], ignored)) {
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
    row.item = intern(itemNames, itemIndex, std::move(fields[2]));
    rows.push_back(row);
  }
  if (columns == 0) {
    return csvError(name, lineNo, "empty file: a header line is required");
  }

  // Item ids: the integers themselves, or the rank of the name among the sorted names.
  std::vector<int64_t> itemIds(itemNames.size(), 0);
  bool itemsAreIntegers = true;
  for (size_t i = 0; i < itemNames.size() && itemsAreIntegers; ++i) {
    itemsAreIntegers = parseInteger(itemNames[i], itemIds[i]);
  }
  if (!itemsAreIntegers) {
    std::vector<uint32_t> order(itemNames.size());
    for (size_t i = 0; i < order.size(); ++i) {
      order[i] = static_cast<uint32_t>(i);
    }
    std::sort(order.begin(), order.end(),
              [&](uint32_t a, uint32_t b) { return itemNames[a] < itemNames[b]; });
    for (size_t rank = 0; rank < order.size(); ++rank) {
      itemIds[order[rank]] = static_cast<int64_t>(rank);
    }
  }

  // Basket order: as integers when every key is one, else as strings.
  std::vector<int64_t> keyValues(basketKeys.size(), 0);
  bool keysAreIntegers = true;
  for (size_t i = 0; i < basketKeys.size() && keysAreIntegers; ++i) {
    keysAreIntegers = parseInteger(basketKeys[i], keyValues[i]);
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
  EvalData data;
  data.users.reserve(customers.size());
  for (size_t c = 0; c < customers.size(); ++c) {
    std::vector<uint32_t> keys;
    for (uint32_t r : rowsOf[c]) {
      keys.push_back(rows[r].basketKey);
    }
    std::sort(keys.begin(), keys.end(), keyLess);
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    std::vector<Basket> baskets(keys.size());
    for (uint32_t r : rowsOf[c]) {
      auto it = std::lower_bound(keys.begin(), keys.end(), rows[r].basketKey, keyLess);
      baskets[static_cast<size_t>(it - keys.begin())].push_back(itemIds[rows[r].item]);
    }
    EvalUser user;
    user.key = customers[c];
    for (auto& basket : baskets) {
      basket = asSet(basket);
    }
    user.target = std::move(baskets.back());
    baskets.pop_back();
    user.history = std::move(baskets);
    user.hasTarget = true;
    data.users.push_back(std::move(user));
  }
  sortUsers(data.users);
  return data;
}

base::Result<EvalData> loadBasketCsv(const std::string& path) {
  auto text = readWholeFile(path);
  if (!text) {
    return text.error();
  }
  return parseBasketCsv(text.value(), path);
}

EvalData applyFilters(const EvalData& data, const FilterOptions& options) {
  std::unordered_map<int64_t, size_t> historyCount;
  if (options.minItemCount > 0) {
    for (const EvalUser& u : data.users) {
      for (const Basket& b : u.history) {
        for (int64_t id : b) {
          ++historyCount[id];
        }
      }
    }
  }
  auto keepItem = [&](int64_t id) {
    if (options.minItemCount == 0) {
      return true;
    }
    auto it = historyCount.find(id);
    return it != historyCount.end() && it->second >= options.minItemCount;
  };
  auto filterBasket = [&](const Basket& b) {
    Basket out;
    out.reserve(b.size());
    for (int64_t id : b) {
      if (keepItem(id)) {
        out.push_back(id);
      }
    }
    return out;
  };

  EvalData out;
  for (const EvalUser& u : data.users) {
    EvalUser f;
    f.key = u.key;
    for (const Basket& b : u.history) {
      Basket kept = filterBasket(b);
      if (!kept.empty()) {
        f.history.push_back(std::move(kept));
      }
    }
    if (u.hasTarget) {
      f.target = filterBasket(u.target);
      f.hasTarget = !f.target.empty();
    }
    const size_t baskets = f.history.size() + (f.hasTarget ? 1 : 0);
    if (baskets < options.minBaskets) {
      continue;
    }
    if (options.maxBaskets > 0 && baskets > options.maxBaskets) {
      continue;
    }
    out.users.push_back(std::move(f));
  }
  return out;
}

DataStats statsOf(const EvalData& data) {
  DataStats s;
  std::unordered_set<int64_t> items;
  for (const EvalUser& u : data.users) {
    ++s.users;
    for (const Basket& b : u.history) {
      ++s.baskets;
      s.rows += b.size();
      items.insert(b.begin(), b.end());
    }
    if (u.hasTarget) {
      ++s.usersWithTarget;
      ++s.baskets;
      s.rows += u.target.size();
      items.insert(u.target.begin(), u.target.end());
    }
  }
  s.items = items.size();
  return s;
}

}  // namespace loyalty::tools::eval

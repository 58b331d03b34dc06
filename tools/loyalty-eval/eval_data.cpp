#include "loyalty-eval/eval_data.h"

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "common/basket_csv.h"
#include "common/files.h"
#include "common/tafeng.h"

namespace loyalty::tools::eval {
namespace {

bool parseInteger(std::string_view s, int64_t& out) { return parseCsvInteger(s, out); }

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
  auto csv = tools::parseBasketCsv(text, name);  // the shared reader (tools/common)
  if (!csv) {
    return csv.error();
  }
  // Item ids: the integers themselves, or the rank of the name among the sorted names.
  std::vector<std::string> itemNames;
  std::unordered_map<std::string, uint32_t> itemIndex;
  for (const CsvCustomer& customer : csv->customers) {
    for (const CsvBasket& basket : customer.baskets) {
      for (const CsvBasketLine& line : basket.lines) {
        if (itemIndex.emplace(line.item, static_cast<uint32_t>(itemNames.size())).second) {
          itemNames.push_back(line.item);
        }
      }
    }
  }
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

  EvalData data;
  data.users.reserve(csv->customers.size());
  for (const CsvCustomer& customer : csv->customers) {
    std::vector<Basket> baskets;
    baskets.reserve(customer.baskets.size());
    for (const CsvBasket& csvBasket : customer.baskets) {
      Basket basket;
      basket.reserve(csvBasket.lines.size());
      for (const CsvBasketLine& line : csvBasket.lines) {
        basket.push_back(itemIds[itemIndex.at(line.item)]);
      }
      baskets.push_back(asSet(basket));
    }
    EvalUser user;
    user.key = customer.key;
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

#include "common/tafeng.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>

#include "common/files.h"
#include "loyalty/protocol/json.h"

namespace loyalty::tools {
namespace {

using base::ErrorCode;
using base::makeError;
using protocol::json::Value;

// The real files are about 3 MB and 1 MB; leave ample room for other preprocessings.
constexpr size_t kMaxFileBytes = size_t{512} * 1024 * 1024;
// object -> user list -> basket -> item id.
constexpr int kMaxDepth = 4;

base::Error shapeError(std::string_view file, const std::string& what) {
  return makeError(ErrorCode::kInvalidValue, std::string(file) + ": " + what);
}

// "123" -> 123. Refuses empty keys, non-digits and values beyond int64_t.
bool parseUserId(const std::string& key, int64_t& out) {
  if (key.empty() || key.size() > 18) {
    return false;
  }
  int64_t v = 0;
  for (char c : key) {
    if (c < '0' || c > '9') {
      return false;
    }
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

bool isSentinel(const Value& v) {
  return v.isArray() && v.items().size() == 1 && v.items()[0].isInt() && v.items()[0].asInt() == -1;
}

// One user's list: [[-1], basket, ..., [-1]] -> the baskets between the sentinels.
// Error messages are built only on failure: this runs for every one of ~90,000 baskets.
base::Result<std::vector<std::vector<int64_t>>> readUserBaskets(std::string_view file,
                                                                const std::string& user,
                                                                const Value& list) {
  auto where = [&user]() { return "user \"" + user + "\""; };
  if (!list.isArray()) {
    return shapeError(file, where() + ": expected an array of baskets");
  }
  const auto& items = list.items();
  if (items.size() < 2 || !isSentinel(items.front()) || !isSentinel(items.back())) {
    return shapeError(file, where() + ": the list must start and end with the sentinel [-1]");
  }
  std::vector<std::vector<int64_t>> baskets;
  baskets.reserve(items.size() - 2);
  for (size_t b = 1; b + 1 < items.size(); ++b) {
    const Value& basket = items[b];
    auto at = [&where, b]() { return where() + ", basket " + std::to_string(b); };
    if (!basket.isArray()) {
      return shapeError(file, at() + ": expected an array of item ids");
    }
    if (basket.items().empty()) {
      return shapeError(file, at() + ": empty basket");
    }
    std::vector<int64_t> ids;
    ids.reserve(basket.items().size());
    for (const Value& item : basket.items()) {
      if (!item.isInt() || item.asInt() < 0) {
        return shapeError(file, at() + ": item ids must be integers >= 0");
      }
      ids.push_back(item.asInt());
    }
    baskets.push_back(std::move(ids));
  }
  return baskets;
}

using ShopperMap = std::map<int64_t, Shopper>;

// Parses one document and appends each user's baskets to `shoppers`. When `exactlyOne` is set
// (the future file), each user must have exactly one basket.
base::Status readDocument(std::string_view text, std::string_view file, bool exactlyOne,
                          ShopperMap& shoppers) {
  protocol::json::ParseLimits limits;
  limits.maxBytes = kMaxFileBytes;
  limits.maxDepth = kMaxDepth;
  auto parsed = protocol::json::parse(text, limits);
  if (!parsed) {
    return makeError(parsed.error().code, std::string(file) + ": " + parsed.error().message);
  }
  const Value& root = parsed.value();
  if (!root.isObject()) {
    return shapeError(file, "expected an object {\"<user>\": [[-1], basket, ..., [-1]]}");
  }
  // Users seen in this document: keys such as "7" and "07" name the same user.
  std::map<int64_t, bool> seen;
  for (const auto& [key, list] : root.members()) {
    int64_t userId = 0;
    if (!parseUserId(key, userId)) {
      return shapeError(file, "user key \"" + key + "\" is not a decimal user id");
    }
    if (!seen.emplace(userId, true).second) {
      return shapeError(file, "user " + std::to_string(userId) + " appears twice");
    }
    auto baskets = readUserBaskets(file, key, list);
    if (!baskets) {
      return baskets.error();
    }
    if (exactlyOne && baskets->size() != 1) {
      return shapeError(file, "user \"" + key + "\": expected exactly one basket, found " +
                                  std::to_string(baskets->size()));
    }
    Shopper& shopper = shoppers[userId];
    shopper.userId = userId;
    for (auto& basket : baskets.value()) {
      shopper.baskets.push_back(std::move(basket));
    }
  }
  return base::okStatus();
}

}  // namespace

size_t TaFengData::basketCount() const {
  size_t n = 0;
  for (const Shopper& s : shoppers) {
    n += s.baskets.size();
  }
  return n;
}

std::vector<int64_t> TaFengData::itemIds() const {
  std::vector<int64_t> ids;
  for (const Shopper& s : shoppers) {
    for (const auto& basket : s.baskets) {
      ids.insert(ids.end(), basket.begin(), basket.end());
    }
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

base::Result<TaFengData> parseTaFeng(std::string_view historyJson, std::string_view futureJson,
                                     std::string_view historyName, std::string_view futureName) {
  ShopperMap shoppers;
  if (auto s = readDocument(historyJson, historyName, false, shoppers); !s) {
    return s.error();
  }
  if (auto s = readDocument(futureJson, futureName, true, shoppers); !s) {
    return s.error();
  }
  TaFengData data;
  data.shoppers.reserve(shoppers.size());
  for (auto& entry : shoppers) {
    if (entry.second.baskets.empty()) {
      return shapeError(historyName, "user " + std::to_string(entry.first) + " has no basket");
    }
    data.shoppers.push_back(std::move(entry.second));
  }
  return data;
}

base::Result<TaFengData> loadTaFeng(const std::string& dir) {
  const std::string prefix = dir.empty() || dir.back() == '/' ? dir : dir + "/";
  const std::string historyPath = prefix + kTaFengHistoryFile;
  const std::string futurePath = prefix + kTaFengFutureFile;
  auto history = readWholeFile(historyPath);
  if (!history) {
    return history.error();
  }
  auto future = readWholeFile(futurePath);
  if (!future) {
    return future.error();
  }
  return parseTaFeng(history.value(), future.value(), historyPath, futurePath);
}

}  // namespace loyalty::tools

#include "loyalty-bench/workload.h"

#include <algorithm>
#include <numeric>
#include <random>

#include "common/synthetic_catalogue.h"
#include "loyalty/protocol/codec.h"

namespace loyalty::tools {
namespace {

constexpr const char* kTerminalMark = "ZZTERMINALZZ";
constexpr const char* kTxnMark = "ZZTXNZZ";

void replaceFirst(std::string& s, const std::string& mark, const std::string& value) {
  if (auto at = s.find(mark); at != std::string::npos) {
    s.replace(at, mark.size(), value);
  }
}

}  // namespace

Workload::Workload(const TaFengData& data, int lines, uint64_t seed, std::string runId,
                   std::string businessDate)
    : runId_(std::move(runId)), itemIds_(data.itemIds()) {
  std::vector<size_t> order(data.shoppers.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::mt19937_64 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  order.resize(std::min(order.size(), kPoolSize));

  std::vector<int64_t> allItems;
  if (lines > 0) {
    for (const auto& s : data.shoppers) {
      for (const auto& b : s.baskets) {
        allItems.insert(allItems.end(), b.begin(), b.end());
      }
    }
  }

  protocol::TransactionKey key;
  key.store = kBenchStore;
  key.terminal = kTerminalMark;
  key.businessDate = std::move(businessDate);
  key.txn = kTxnMark;
  for (size_t i = 0; i < order.size(); ++i) {
    const Shopper& shopper = data.shoppers[order[i]];
    const std::string card = cardOf(shopper.userId);
    size_t basketIndex = shopper.baskets.size() - 1;
    std::vector<int64_t> items = shopper.baskets.back();
    if (lines > 0) {
      items.clear();
      const size_t start = (order[i] * 7919) % allItems.size();
      for (int l = 0; l < lines; ++l) {
        items.push_back(allItems[(start + static_cast<size_t>(l)) % allItems.size()]);
      }
      basketIndex = 0;
    }
    Encoded e;
    e.identify = protocol::encode(protocol::IdentifyRequest{card, kBenchStore, kTerminalMark});
    protocol::PriceRequest price;
    price.key = key;
    price.card = card;
    price.lines = basketLines(shopper.userId, basketIndex, items);
    e.price = protocol::encode(price);
    protocol::CommitRequest commit;
    commit.key = key;
    commit.card = card;
    commit.lines = price.lines;
    commit.tenders.push_back(protocol::Tender{"card", basketTotal(commit.lines)});
    e.commit = protocol::encode(commit);
    e.items = std::move(items);
    shoppers_.push_back(std::move(e));
  }
}

size_t Workload::shopperIndex(int till, int64_t k, int tills) const {
  const uint64_t n = shoppers_.size();
  const uint64_t at = (static_cast<uint64_t>(till) + static_cast<uint64_t>(k) *
                                                         static_cast<uint64_t>(tills)) % n;
  return static_cast<size_t>(at);
}

const Workload::Encoded& Workload::shopperFor(int till, int64_t k, int tills) const {
  return shoppers_[shopperIndex(till, k, tills)];
}

std::string Workload::terminalOf(int till) { return "T" + std::to_string(till); }

std::string Workload::txnOf(int till, int64_t k) const {
  return runId_ + "-" + std::to_string(till) + "-" + std::to_string(k);
}

Call Workload::identify(int till, int64_t k, int tills) const {
  Call c{"identify", "POST", "/v1/identify", shopperFor(till, k, tills).identify};
  replaceFirst(c.body, kTerminalMark, terminalOf(till));
  return c;
}

Call Workload::price(int till, int64_t k, int tills) const {
  Call c{"price", "POST", "/v1/price", shopperFor(till, k, tills).price};
  replaceFirst(c.body, kTerminalMark, terminalOf(till));
  replaceFirst(c.body, kTxnMark, txnOf(till, k));
  return c;
}

Call Workload::commit(int till, int64_t k, int tills) const {
  Call c{"commit", "POST", "/v1/commit", shopperFor(till, k, tills).commit};
  replaceFirst(c.body, kTerminalMark, terminalOf(till));
  replaceFirst(c.body, kTxnMark, txnOf(till, k));
  return c;
}

Call Workload::health() { return Call{"health", "GET", "/v1/health", ""}; }

}  // namespace loyalty::tools

// Workload: the requests the tills send, built once from the TaFeng data before the clock
// starts, so that a till spends its time on the wire and not in the JSON encoder.
//
// A pool of shoppers (seeded shuffle of the data's shoppers, at most kPoolSize) is pre-encoded:
// the identify body of the shopper's card and the price and commit bodies of a basket, with
// placeholders for the terminal and the transaction number that each call fills in, so that each
// commit gets a fresh txn without re-encoding. Till t's k-th iteration uses shopper
// (t + k * tills) mod pool size.
//
// Baskets: with lines == 0, the shopper's last TaFeng basket as it is; with lines = N, N
// consecutive item ids from the concatenation of every TaFeng basket in data order, starting at
// a point derived from the shopper (so each basket is real TaFeng items, padded to N lines).
// Quantities and prices come from the synthetic catalogue (common/synthetic_catalogue.h).
//
// Keys: store "BENCH", terminal "T<till>", business date given, txn "<runId>-<till>-<k>".
//
// The storage ceiling and the JSON comparison reuse the same pool: shopperIndex() is the shopper
// of an iteration, commitTemplate() its encoded commit body (with the placeholders, which are
// valid key characters, so the body decodes as it is), basketItems() the TaFeng item ids of its
// basket (line order).
//
// Thread safety: immutable after construction; calls may run from every till at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/tafeng.h"

namespace loyalty::tools {

inline constexpr size_t kPoolSize = 4096;
inline constexpr const char* kBenchStore = "BENCH";

struct Call {
  const char* op = "";  // "identify", "price", "commit", "health"
  const char* method = "POST";
  const char* path = "";
  std::string body;
};

class Workload {
 public:
  // Requires: data has at least one shopper; runId is 1..12 of [A-Za-z0-9]; businessDate valid.
  Workload(const TaFengData& data, int lines, uint64_t seed, std::string runId,
           std::string businessDate);

  size_t poolSize() const { return shoppers_.size(); }
  Call identify(int till, int64_t k, int tills) const;
  Call price(int till, int64_t k, int tills) const;
  Call commit(int till, int64_t k, int tills) const;
  static Call health();

  // The pool index of till `till`'s iteration k (what identify/price/commit use).
  size_t shopperIndex(int till, int64_t k, int tills) const;
  // Requires: shopper < poolSize().
  const std::string& commitTemplate(size_t shopper) const { return shoppers_[shopper].commit; }
  const std::vector<int64_t>& basketItems(size_t shopper) const { return shoppers_[shopper].items; }
  // The key parts that commit() fills in: "T<till>" and "<runId>-<till>-<k>".
  static std::string terminalOf(int till);
  std::string txnOf(int till, int64_t k) const;

  // The catalogue CSV of every item the data holds (imported into a spawned core).
  const std::vector<int64_t>& itemIds() const { return itemIds_; }

 private:
  // Bodies encoded with the placeholders kTerminalMark and kTxnMark, filled in per call.
  struct Encoded {
    std::string identify;
    std::string price;
    std::string commit;
    std::vector<int64_t> items;  // the basket's TaFeng item ids, in line order
  };
  const Encoded& shopperFor(int till, int64_t k, int tills) const;

  std::string runId_;
  std::vector<Encoded> shoppers_;
  std::vector<int64_t> itemIds_;
};

}  // namespace loyalty::tools

// StorageBench: the storage ceiling of the commit scenario, "a raw storage insert of the same
// rows": what a commit of the workload stores, written straight through SqliteStore::write (the
// core's own store: one writer thread, group commit, synchronous=FULL, maxBatch 512, as the core
// opens it by default) from N threads in this process, without HTTP, JSON or the checkout rules.
// Also the main phase of `--scenario storage`.
//
// Rows: before any clock starts, every pool shopper's commit body (Workload::commitTemplate) is
// decoded once into a domain::Sale (its lines, tender and total) and the serialised habit profile
// of its basket (HabitProfile with the default parameters, updated with the basket once).
// Writer thread t's iteration k then stores, in one write(fn), what CheckoutService::commit stores
// for a new sale of a programme without tiers, coupons or points tender:
//   findSale(key), findRefund(key)       the idempotency checks
//   findCustomer(card)                   and insertCustomer(card) on the shopper's first sale
//   insertSale(sale)                     the sale, its lines and its tender
//   appendLedger(earn)                   1 point per whole currency unit of the total (if > 0)
//   findHabitProfile, saveHabitProfile   the profile bytes of this basket
// with the keys of the commit scenario (store "BENCH", terminal "T<t>", txn "<runId>-<t>-<k>").
//
// Timing: a sample is one write() call, from the call to its return (so it includes the wait for
// the batch's COMMIT and its fsync); only successful writes are samples, a failed one is an error
// with its message. Closed loop (a capacity): a thread writes again as soon as its write returns.
// PhaseResult.transactions counts the store's transactions (COMMITs) during the phase.
//
// Errors of open(): kInternal (a commit body that does not decode, no temporary folder), or the
// store's own (kStorageFailure ...).
//
// Thread safety: one owner; runPhase starts its own writer threads and returns when they stopped;
// do not run two phases of one StorageBench at once. The destructor closes the store and removes
// its folder (unless the environment sets LOYALTY_BENCH_KEEP=1, as for the spawned servers).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "loyalty-bench/bench_report.h"
#include "loyalty-bench/workload.h"
#include "loyalty/base/result.h"

namespace loyalty::core::storage {
class SqliteStore;
}  // namespace loyalty::core::storage

namespace loyalty::tools {

inline constexpr const char* kStoragePhaseLabel = "SqliteStore::write";

class StorageBench {
 public:
  ~StorageBench();
  StorageBench(const StorageBench&) = delete;
  StorageBench& operator=(const StorageBench&) = delete;

  // Prepares the rows of every pool shopper and opens a new database in a fresh folder
  // "loyalty-bench-storage-XXXXXX" inside parentDir (an existing folder; "" = the system's
  // temporary folder). The workload must outlive the StorageBench.
  static base::Result<std::unique_ptr<StorageBench>> open(const Workload& workload,
                                                          const std::string& parentDir);

  // Requires: threads >= 1, durationS > 0. kOffset is added to each iteration number, so that a
  // warm-up (and any later phase) uses transaction keys of its own.
  PhaseResult runPhase(const std::string& label, int threads, double durationS, int64_t kOffset);

  const std::string& databasePath() const { return databasePath_; }

 private:
  struct Row;
  StorageBench(const Workload& workload, std::vector<Row> rows);
  void runWriter(int thread, int threads, int64_t kOffset, int64_t endNs, PhaseResult& out);

  const Workload& workload_;
  std::vector<Row> rows_;  // one per pool shopper
  std::string dir_;
  std::string databasePath_;
  std::unique_ptr<core::storage::SqliteStore> store_;
};

}  // namespace loyalty::tools

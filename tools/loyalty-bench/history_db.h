// History database of `loyalty-bench --scenario history`: a loyalty-core database pre-filled with
// a large history of sales (issue 5: 1 million customers, 50 million basket lines), generated from
// the TaFeng shoppers' real baskets.
//
// Generation (deterministic for a given TaFeng data set, spec and seed):
//   - customer c (0 .. customers-1) has id c+1, card cardOf(c) (synthetic_catalogue.h), so the
//     commit workload's shoppers (cardOf(TaFeng userId)) are existing customers with a history
//     when customers > their user ids;
//   - its TaFeng model is the shopper with userId c when there is one, else a shopper chosen by
//     a seeded hash of c; its baskets are the model's baskets in order, starting at a hashed
//     offset and cycling, each item replaced by a hashed catalogue item with probability 1/8;
//   - every customer gets lines/customers basket lines (the first lines % customers get one
//     more), so the total is exactly `lines`; its last basket is cut to fit;
//   - quantities and prices come from the synthetic catalogue; a sale earns total/100 points
//     (one earn ledger entry when > 0); sales are spread over the 730 days before 2026-01-01;
//     the customer's balance is the sum of its ledger (and each sale's balance_after the
//     running sum). One "card" tender per sale. Habit profiles are NOT generated: a customer's
//     first commit in the bench creates its profile, as in production after an import.
// Build: the schema is created by the real SqliteStore (then closed); the rows are inserted with
// prepared statements in large transactions with synchronous=OFF and journal_mode=OFF (a
// fixture: an interrupted build leaves a file that readHistoryDb() refuses). A table
// bench_history_meta records the counts last; the core ignores it.
//
// Errors: kStorageFailure (SQLite), kInvalidValue (bad spec, no shoppers, an existing file that
// is not a finished history database), kInvalidState (buildHistoryDb on an existing file).
//
// Thread safety: re-entrant; one database file per call at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "common/tafeng.h"
#include "loyalty/base/result.h"

namespace loyalty::tools {

inline constexpr int64_t kDefaultHistoryCustomers = 1000000;
inline constexpr int64_t kDefaultHistoryLines = 50000000;
inline constexpr int64_t kMaxHistoryCustomers = 100000000;
inline constexpr int64_t kMaxHistoryLines = 10000000000;

struct HistorySpec {
  int64_t customers = kDefaultHistoryCustomers;  // >= 1
  int64_t lines = kDefaultHistoryLines;          // >= customers
  uint64_t seed = 42;
};

struct HistoryStats {
  int64_t customers = 0;
  int64_t lines = 0;
  int64_t sales = 0;
  int64_t ledgerEntries = 0;
  double buildSeconds = 0;  // of the build that made the file
  int64_t dbBytes = 0;      // the file's size now
};

struct HistoryProgress {
  int64_t customersDone = 0;
  int64_t linesDone = 0;
  double elapsedS = 0;
};

// Called every few seconds during a build (and once at the end).
using HistoryProgressFn = std::function<void(const HistoryProgress&)>;

// Requires: path does not exist, its folder does. 1 <= customers <= lines.
base::Result<HistoryStats> buildHistoryDb(const TaFengData& data, const HistorySpec& spec,
                                          const std::string& path,
                                          const HistoryProgressFn& progress = {});

// The stats a finished build recorded (dbBytes is the file's size now).
base::Result<HistoryStats> readHistoryDb(const std::string& path);

// Removes the admin users and tokens (a started core then makes its own bootstrap user with the
// password of this run). Requires: no process has the database open.
base::Status resetHistoryUsers(const std::string& path);

// "1.5 GB"-style text of a byte count, for progress lines.
std::string humanBytes(int64_t bytes);

}  // namespace loyalty::tools

// BenchOptions: the command line of loyalty-bench, parsed and validated.
//
// parseBenchOptions() accepts "--name value" and "--name=value" and touches nothing outside its
// arguments. Every refusal is kInvalidValue with a message meant for the user (exit code 2).
//
// Invariants of a parsed BenchOptions (unless help is set):
//   - scenario is one of the Scenario values; tafengDir is non-empty;
//   - 1 <= tills <= kMaxTills (kMaxEventTills for scenario tills); 0 < durationS <= kMaxDurationS; rate >= 0 and finite (0 = as fast
//     as possible, closed loop); 0 <= lines <= kMaxBenchLines; 1 <= timeoutMs <= 600000;
//   - coreThreads is 0 (the core's default) or 1..1024; agents is 0 (one per till) or 1..tills;
//   - core, when set, is the address of a running loyalty-core (nothing is spawned for it);
//     agentEndpoints, when set, are running pos-agents (scenario agent only);
//   - scenarios storage and json run in-process: no core, no agents, closed loop (rate 0);
//   - 1 <= iterations <= kMaxJsonIterations (given only for scenario json);
//   - storageDir is empty (the spawned core's folder, else the system's temporary folder) or
//     given for scenario commit or storage only;
//   - scenario history (history_db.h): 1 <= historyCustomers <= historyLines, both at most the
//     kMaxHistory* limits; core is not set (it starts its own cores); ceilings are off;
//     historyCustomers, historyLines and historyDb are given for scenario history only.
//
// Thread safety: re-entrant.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/endpoint.h"
#include "loyalty/base/result.h"

namespace loyalty::tools {

inline constexpr int kMaxTills = 1024;       // thread-per-till scenarios
inline constexpr int kMaxEventTills = 50000; // scenario tills (one epoll client, tills_scenario.h)
inline constexpr int64_t kMaxQueued = 10000000;
inline constexpr double kMaxDurationS = 3600;
inline constexpr int kMaxBenchLines = 200;
inline constexpr int64_t kMaxJsonIterations = 100000000;

enum class Scenario {
  kCommit,     // POST /v1/commit to the core, keep-alive
  kIdentify,   // POST /v1/identify to the core, keep-alive
  kPrice,      // POST /v1/price to the core, keep-alive
  kAgent,      // identify -> price -> commit through pos-agents, keep-alive
  kReconnect,  // POST /v1/identify to the core, a new connection per request
  kStorage,    // the commit's rows through SqliteStore::write, in-process (storage_bench.h)
  kJson,       // JSON parsers on the commit body, in-process, one thread (json_bench.h)
  kHistory,    // scenario commit on a core with a large history, and on an empty one (issue 5)
  kTills,      // many tills that connect, send a sale, idle and reconnect (tills_scenario.h)
  kOffline,    // identify -> price -> commit through pos-agents whose core is down (outage.h)
  kDrain,      // an agent's outbox of queued sales delivered after an outage (outage.h)
};

std::string_view scenarioName(Scenario s);
std::optional<Scenario> scenarioFromName(std::string_view name);

struct BenchOptions {
  bool help = false;
  Scenario scenario = Scenario::kCommit;
  std::string tafengDir;
  double durationS = 10;
  int tills = 64;
  double rate = 0;      // iterations per second over all tills; 0 = max throughput
  int lines = 30;       // lines per basket (price, commit); 0 = the TaFeng basket as it is
  int timeoutMs = 2000; // per request: connect, send, receive each
  int coreThreads = 0;  // loyalty-core http.threads when spawned; 0 = its default
  int agents = 0;       // pos-agents spawned for scenario agent; 0 = one per till
  std::optional<Endpoint> core;
  std::vector<Endpoint> agentEndpoints;
  bool ceiling = true;  // also measure GET /v1/health with the same tills and connection mode
  bool storageCeiling = true;  // scenario commit: also the storage ceiling (needs `ceiling`)
  std::string storageDir;      // parent folder of the storage phase's database
  int64_t iterations = 20000;  // scenario json: timed parses per parser
  bool json = false;
  uint64_t seed = 42;
  int64_t historyCustomers = 1000000;  // scenario history: customers of the built database
  int64_t historyLines = 50000000;     // scenario history: basket lines of the built database
  std::string historyDb;               // scenario history: reused if it exists, else built there
  bool tls = false;          // mutual TLS between tills/agents and the core (spawned core only)
  int64_t queued = 20000;    // scenario drain: sales queued in the outbox during the outage
};

// args: the arguments after the program name.
base::Result<BenchOptions> parseBenchOptions(const std::vector<std::string>& args);

std::string benchUsage();

}  // namespace loyalty::tools

// Scenario tills (issue 5): many tills (--tills, up to kMaxEventTills) that connect, make a sale,
// idle with the connection open and reconnect once the core has closed it, at a fixed total rate
// (--rate sales/s, default 1,000), played by epoll clients (event_client.h) instead of a thread
// per till. Reports latency per call and per sale, errors, starved connections, connects,
// reconnects and retries, and the peak of open connections at the core and at the client.
//
// The model (a national grocery chain at its peak; docs/benchmarks.md, "20,000 tills"):
//   - about 1,000 stores of 20 lanes: 20,000 tills, each with its pos-agent holding one
//     keep-alive connection to the core (here the bench plays the agents' side of it);
//   - at the Saturday-morning or Christmas-week peak the chain makes 1,000 sales/s in total, an
//     even share per till: till i makes a sale every P = tills / rate seconds (20 s at 20,000
//     tills and 1,000/s, a busy lane's pace; a staffed lane at an ordinary hour takes 1 to 3
//     minutes), its first at a seeded random offset in [0, P) (shops open over time: no connect
//     storm at t = 0), the k-th at start + offset_i + k * P;
//   - a sale is identify -> price -> commit (Workload's bodies: a TaFeng shopper's card and
//     basket, terminal "T<i>", transaction "<run>-<i>-<k>"), back to back on the till's
//     connection; a new connection is opened first when the till has none;
//   - between sales the till idles with its connection open. The core closes idle connections
//     after its keep-alive timeout (loyalty.core.http.keepAliveTimeoutS, 15 s by default; a
//     spawned core gets kTillsKeepAliveS): with P = 20 s every sale starts with a reconnect,
//     with P <= the timeout the connection lasts the whole run. The till notices the close
//     (EPOLLRDHUP / EOF) and closes its socket;
//   - a request that fails on a reused connection before any answer byte because the core closed
//     it at that instant is sent again once on a new connection (counted as a retry);
//   - a call with no answer within --timeout-ms is a starved connection and an error; any
//     failed call ends its sale (the till tries again at its next sale).
//
// Open loop: the identify of sale k is timed from its scheduled time, so a late connect, an
// accept queue or a client that fell behind all count; price and commit are timed from their own
// send (they depend on the previous answer). The sale's latency is scheduled time -> commit
// answer. A sale due while the till is still busy starts as soon as the till is free; no sale
// starts after the end; a sale in flight at the end finishes and is counted.
//
// Windows: the run lasts --duration seconds from the start. When --duration >= 2 P, the first
// P seconds are a warm-up (every till has connected once and the core has started closing idle
// connections) and the measured window is [P, duration); otherwise there is no warm-up and the
// whole run is measured (including the first connects): the report gives warmup_s and measured_s.
// A sale belongs to the window its scheduled time falls in.
//
// Client processes: each till may hold a socket at any time (whenever P is below the core's
// keep-alive timeout every till does), so a client process plays at most its open-file limit
// (RLIMIT_NOFILE, raised to the hard limit) minus kTillsReservedFds tills. With more tills the
// bench forks itself into several client processes, each with its share of the tills (its own
// epoll loop, the same schedule, offsets and start time: CLOCK_MONOTONIC is shared), which send
// their results to the parent over a pipe (tills_result.h). Forking after the workload is built
// shares it copy-on-write, and a fork needs no second command line; threads in one process would
// not help, since the limit is per process. On this machine (hard limit 20,000) 20,000 tills run
// as 2 processes of 10,000. The parent samples the core's /proc/<pid>/fd every 100 ms.
//
// Local ports: on loopback every connection would come from 127.0.0.1, and 20,000 connections
// to one port (plus the sockets in TIME_WAIT) nearly exhaust the ~28,000 local ports, which
// real tills, each on its own address, never share: the tills connect from
// tillsSourceAddresses() instead (2,000 tills per address).
//
// Thread safety: runTillsPhase and runTills are re-entrant but fork(): call them from a process
// with no other thread running.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/endpoint.h"
#include "common/tafeng.h"
#include "loyalty-bench/bench_options.h"
#include "loyalty-bench/servers.h"
#include "loyalty-bench/tills_result.h"
#include "loyalty-bench/workload.h"
#include "loyalty/base/result.h"

namespace loyalty::tools {

inline constexpr int kTillsKeepAliveS = 15;  // the keep-alive timeout of a spawned core
inline constexpr int kTillsReservedFds = 64;  // descriptors a client process keeps for itself
inline constexpr int kTillsPerSourceAddress = 2000;  // loopback source addresses, see below

struct TillsSpec {
  Endpoint core;
  int tills = 1;
  double rate = 1000;     // sales per second over all tills; > 0
  double durationS = 10;  // > 0
  int timeoutMs = 2000;   // per attempt: connect, send and the whole answer
  uint64_t seed = 42;     // the tills' offsets
  int maxTillsPerProcess = 0;  // 0: by the open-file limit (see above); tests set fewer
  pid_t corePid = 0;           // when set, its /proc/<pid>/fd is sampled every 100 ms
  // The calls of till `till`'s sale k (identify, price, commit).
  std::function<std::vector<Call>(int till, int64_t k)> makeSale;
};

struct TillsRun {
  TillsResult result;        // every client process's, merged
  double periodS = 0;        // P = tills / rate
  double warmupS = 0;
  double measuredS = 0;      // the window, --duration minus the warm-up
  double wallS = 0;          // from the window's start to the end of its last sale (>= measuredS)
  int processes = 1;         // client processes
  int64_t clientFdLimit = 0;  // each client process's RLIMIT_NOFILE soft limit
  // The sampled core (when corePid was set): descriptors, the baseline that are not client
  // connections (all but sockets, plus its listening socket, counted before the run), the
  // peak of client connections (peak descriptors - baseline), its open-file limit.
  std::optional<int64_t> corePeakFds;
  std::optional<int64_t> coreFdBaseline;
  std::optional<int64_t> corePeakConnections;
  std::optional<int64_t> coreFdLimit;
  int64_t coreSamples = 0;
  // CPU seconds (user + system) spent during the run by the core (when sampled) and by the
  // client processes, and the 1-minute load average before and after it (from /proc).
  std::optional<double> coreCpuS;
  double clientCpuS = 0;
  double loadBefore = 0;
  double loadAfter = 0;
};

// The local addresses the tills connect from: for a core on 127.x.x.x, 127.0.0.1, 127.0.0.2, ...
// one per kTillsPerSourceAddress tills (each gets its own ~28,000 local ports, as real tills
// on their own addresses would; event_client.h, "Source addresses"); else none (the kernel's
// choice).
std::vector<std::string> tillsSourceAddresses(const std::string& coreHost, int tills);

// The offset of each till's first sale, in ns: seeded, uniform in [0, periodNs).
std::vector<int64_t> tillOffsetsNs(uint64_t seed, int tills, int64_t periodNs);
// The sales due in [fromNs, toNs) of a till with that offset and period.
int64_t salesDueIn(int64_t offsetNs, int64_t periodNs, int64_t fromNs, int64_t toNs);

// Plays the tills against spec.core. Errors: kUnavailable when a client cannot start (the
// address does not resolve, no epoll); kInternal when a client process cannot be forked, dies or
// sends no result. Failed requests are results, not errors.
base::Result<TillsRun> runTillsPhase(const TillsSpec& spec);

// Starts a core in `servers` (coreThreads 0 = its default) with that keep-alive timeout, and
// imports the workload's catalogue through its admin API.
base::Result<Endpoint> startTillsCore(SpawnedServers& servers, const Workload& workload,
                                      int coreThreads, int keepAliveS);

// The report: formatReportJson's object (scenario "tills", the usual keys) plus the scenario's
// own keys (docs/benchmarks.md lists them), or the table. keepAliveS 0 = unknown (--core).
std::string formatTillsJson(const BenchOptions& o, const TillsRun& run, int keepAliveS);
std::string formatTillsTable(const BenchOptions& o, const TillsRun& run, int keepAliveS);

// Runs the scenario and prints its report (table or --json). Returns the process exit status:
// 0 the run happened, 1 cannot start.
int runTills(const BenchOptions& o, const TaFengData& data, const Workload& workload);

}  // namespace loyalty::tools

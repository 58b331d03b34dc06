#include "loyalty-bench/bench_options.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "loyalty-bench/history_db.h"

namespace loyalty::tools {
namespace {

base::Error usageError(const std::string& message) {
  return base::makeError(base::ErrorCode::kInvalidValue, message);
}

std::optional<int64_t> parseInt(const std::string& text) {
  if (text.empty() || text.size() > 18) {
    return std::nullopt;
  }
  int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    v = v * 10 + (c - '0');
  }
  return v;
}

std::optional<double> parseNumber(const std::string& text) {
  if (text.empty()) {
    return std::nullopt;
  }
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || c == '.')) {
      return std::nullopt;
    }
  }
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (errno != 0 || end != text.c_str() + text.size() || !std::isfinite(v)) {
    return std::nullopt;
  }
  return v;
}

base::Result<int64_t> intIn(const std::string& name, const std::string& value, int64_t lo,
                            int64_t hi) {
  auto v = parseInt(value);
  if (!v || *v < lo || *v > hi) {
    return usageError(name + " wants a whole number from " + std::to_string(lo) + " to " +
                      std::to_string(hi) + ", not '" + value + "'");
  }
  return *v;
}

}  // namespace

std::string_view scenarioName(Scenario s) {
  switch (s) {
    case Scenario::kCommit:
      return "commit";
    case Scenario::kIdentify:
      return "identify";
    case Scenario::kPrice:
      return "price";
    case Scenario::kAgent:
      return "agent";
    case Scenario::kReconnect:
      return "reconnect";
    case Scenario::kStorage:
      return "storage";
    case Scenario::kJson:
      return "json";
    case Scenario::kHistory:
      return "history";
    case Scenario::kTills:
      return "tills";
    case Scenario::kOffline:
      return "offline";
    case Scenario::kDrain:
      return "drain";
  }
  return "commit";
}

std::optional<Scenario> scenarioFromName(std::string_view name) {
  for (Scenario s : {Scenario::kCommit, Scenario::kIdentify, Scenario::kPrice, Scenario::kAgent,
                     Scenario::kReconnect, Scenario::kStorage, Scenario::kJson,
                     Scenario::kHistory, Scenario::kTills, Scenario::kOffline,
                     Scenario::kDrain}) {
    if (scenarioName(s) == name) {
      return s;
    }
  }
  return std::nullopt;
}

std::string benchUsage() {
  return R"(usage: loyalty-bench --scenario NAME --tafeng DIR [options]

Plays N concurrent tills against the loyalty-core (directly or through pos-agents) with baskets
from the TaFeng data, then reports throughput, latency percentiles, errors and starved
connections, next to ceilings measured in the same run: GET /v1/health (every scenario), and for
scenario commit also the storage ceiling, the same rows written straight through the core's
SqliteStore (group commit, synchronous=FULL) from as many threads as tills, in-process, without
HTTP. ratio_to_ceiling divides by the LOWER of the ceilings measured (the JSON also gives the
ratio to each). Unless --core is given, it starts loyalty-core (and pos-agent for scenario agent)
from its own folder, on 127.0.0.1 with ports chosen by the OS, in a temporary folder it removes
at the end.

scenarios:
  commit      POST /v1/commit of a basket, a new transaction each time, keep-alive
  identify    POST /v1/identify of a shopper's card, keep-alive
  price       POST /v1/price of a basket, keep-alive
  agent       identify -> price -> commit through pos-agents (one per till by default),
              keep-alive; also measures the same flow straight to the core
  reconnect   POST /v1/identify on a new connection for every request
  storage     the storage ceiling alone: each of --tills threads stores a commit's rows (sale,
              lines, tender, customer, ledger entry, habit profile) through SqliteStore::write
              into a new database, closed loop; no server
  json        the JSON parsers on the commit body (--lines lines), one thread, no server: the
              project's codec (decodeCommitRequest), json::parse alone, Poco::JSON, and
              RapidJSON and simdjson when they were found at build time; ns per body, MB/s,
              p50 and p99 per parse, after a warm-up of a tenth of --iterations
  history     scenario commit (--tills, --duration, --lines, --rate) on a core whose database
              holds a large history (--customers, --history-lines: sales with lines, ledger
              entries and balances generated from the TaFeng baskets), then the same on an
              empty core; reports both, their ratios (throughput, p99) and the core's peak
              resident memory (VmRSS) in each; no ceiling phases
  tills       --tills tills (up to 50,000) make identify -> price -> commit sales at an even
              share of --rate (default 1,000 sales/s: a sale every tills/rate s per till, the
              first at a seeded random offset), idle with the connection open between sales and
              reconnect once the core closed it (its keep-alive timeout, 15 s when spawned);
              the first period is a warm-up when --duration is at least two periods. Played by
              epoll clients (a process per open-file limit - 64 tills); reports
              latency per call and per sale, connects, reconnects, retries and the peak open
              connections of the core and the client; no ceiling phases
  offline     identify -> price -> commit through pos-agents (--agents, default one per till)
              whose core is down (a closed port): the agents' own answers ("offline", "queued")
              are the expected ones; latency per call; then the same with the core blackholed
              (started, then SIGSTOP: connections accepted, never answered)
  drain       a core and --agents pos-agents (default 1): the core is stopped (SIGSTOP), --tills
              tills queue --queued sales through the agents, the core resumes (SIGCONT); reports
              the sales delivered per second until every outbox is empty, and checks that the
              core stored exactly the queued sales. LOYALTY_BENCH_DELIVERY_CONCURRENCY=K sets
              the spawned agents' outbox.deliveryConcurrency (offline and drain)

options:
  --scenario NAME         see above (required)
  --tafeng DIR            folder holding tafeng_history.json and tafeng_future.json (required)
  --duration S            seconds of load per phase (default 10)
  --tills N               concurrent tills, each one connection (default 64, at most 1024;
                          scenario tills: at most 50,000); scenario storage: writer threads
  --rate R                iterations per second over all tills (a request; in scenario agent a
                          flow of three), open loop: latency counts from the scheduled send time;
                          0 = as fast as possible, closed loop (default 0; scenario tills:
                          sales per second, default 1000)
  --lines N               lines per basket, filled from consecutive TaFeng items; 0 = the TaFeng
                          basket as it is (default 30)
  --timeout-ms MS         per request: connect, send and receive each (default 2000)
  --core-threads N        http.threads of the spawned loyalty-core (default: its own, 16)
  --agents N              pos-agents to spawn for scenarios agent and offline (default 0 = one
                          per till) and drain (default 0 = one)
  --core HOST:PORT        use this running loyalty-core instead of spawning one
  --agent-endpoints LIST  use these running pos-agents (H:P,H:P...) for scenario agent
  --no-ceiling            skip the ceiling phases (GET /v1/health, and storage)
  --no-storage-ceiling    scenario commit: skip the storage ceiling only
  --storage-dir DIR       folder for the storage phase's temporary database (commit, storage;
                          default: the spawned core's folder, else the system's temporary folder)
  --iterations N          scenario json: timed parses per parser (default 20000)
  --seed N                seed of the shopper order and of the history (default 42)
  --customers N           scenario history: customers of the history (default 1000000)
  --history-lines N       scenario history: basket lines of the history (default 50000000)
  --history-db FILE       scenario history: reuse this database if it exists (built by an
                          earlier run), else build it there and keep it; default: build one in
                          a temporary folder (--storage-dir) and remove it at the end
  --queued N              scenario drain: sales queued in the agent's outbox (default 20000)
  --tls                   mutual TLS to the core: loyalty-bench makes a CA, the core's and the
                          tills' certificates in its temporary folder (not with --core;
                          scenarios commit, identify, price, agent and reconnect)
  --json                  print one JSON object instead of a table
  --help                  this text

Without --tls every connection is plain HTTP on loopback. With --tls the spawned core serves
mutual TLS only (with its CRL); the tills, the ceiling phases and every spawned pos-agent's
link to the core present one terminal certificate, and new connections resume TLS sessions
(the report counts them); tills to pos-agents stay plain HTTP.
Exit status: 0 the run happened (errors are reported), 1 cannot start, 2 bad usage.
)";
}

base::Result<BenchOptions> parseBenchOptions(const std::vector<std::string>& args) {
  BenchOptions o;
  bool haveScenario = false;
  static const char* const kValued[] = {"--scenario",   "--tafeng",       "--duration",
                                        "--tills",      "--rate",         "--lines",
                                        "--timeout-ms", "--core-threads", "--agents",
                                        "--core",       "--agent-endpoints", "--seed",
                                        "--storage-dir", "--iterations", "--customers",
                                        "--history-lines", "--history-db", "--queued"};
  bool haveIterations = false;
  bool haveHistoryOption = false;
  bool haveQueued = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    std::optional<std::string> inlineValue;
    if (auto eq = name.find('='); name.rfind("--", 0) == 0 && eq != std::string::npos) {
      inlineValue = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    bool valued = false;
    for (const char* v : kValued) {
      valued = valued || name == v;
    }
    std::string value;
    if (valued) {
      if (inlineValue) {
        value = *inlineValue;
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return usageError(name + " needs a value");
      }
    } else if (inlineValue) {
      return usageError(name + " takes no value");
    }

    if (name == "--help" || name == "-h") {
      o.help = true;
    } else if (name == "--json") {
      o.json = true;
    } else if (name == "--tls") {
      o.tls = true;
    } else if (name == "--queued") {
      auto v = intIn(name, value, 1, kMaxQueued);
      if (!v) {
        return v.error();
      }
      o.queued = *v;
      haveQueued = true;
    } else if (name == "--no-ceiling") {
      o.ceiling = false;
    } else if (name == "--no-storage-ceiling") {
      o.storageCeiling = false;
    } else if (name == "--storage-dir") {
      if (value.empty()) {
        return usageError("--storage-dir wants a folder");
      }
      o.storageDir = value;
    } else if (name == "--iterations") {
      auto v = intIn(name, value, 1, kMaxJsonIterations);
      if (!v) {
        return v.error();
      }
      o.iterations = *v;
      haveIterations = true;
    } else if (name == "--customers") {
      auto v = intIn(name, value, 1, kMaxHistoryCustomers);
      if (!v) {
        return v.error();
      }
      o.historyCustomers = *v;
      haveHistoryOption = true;
    } else if (name == "--history-lines") {
      auto v = intIn(name, value, 1, kMaxHistoryLines);
      if (!v) {
        return v.error();
      }
      o.historyLines = *v;
      haveHistoryOption = true;
    } else if (name == "--history-db") {
      if (value.empty()) {
        return usageError("--history-db wants a file");
      }
      o.historyDb = value;
      haveHistoryOption = true;
    } else if (name == "--scenario") {
      auto s = scenarioFromName(value);
      if (!s) {
        return usageError("unknown scenario '" + value +
                          "' (commit, identify, price, agent, reconnect, storage, json, history, tills, "
                          "offline, drain)");
      }
      o.scenario = *s;
      haveScenario = true;
    } else if (name == "--tafeng") {
      if (value.empty()) {
        return usageError("--tafeng wants a folder");
      }
      o.tafengDir = value;
    } else if (name == "--duration") {
      auto v = parseNumber(value);
      if (!v || *v <= 0 || *v > kMaxDurationS) {
        return usageError("--duration wants seconds above 0 and at most 3600, not '" + value +
                          "'");
      }
      o.durationS = *v;
    } else if (name == "--rate") {
      auto v = parseNumber(value);
      if (!v || *v < 0 || *v > 1e9) {
        return usageError("--rate wants requests per second (0 = max), not '" + value + "'");
      }
      o.rate = *v;
    } else if (name == "--tills") {
      auto v = intIn(name, value, 1, kMaxEventTills);
      if (!v) {
        return v.error();
      }
      o.tills = static_cast<int>(*v);
    } else if (name == "--lines") {
      auto v = intIn(name, value, 0, kMaxBenchLines);
      if (!v) {
        return v.error();
      }
      o.lines = static_cast<int>(*v);
    } else if (name == "--timeout-ms") {
      auto v = intIn(name, value, 1, 600000);
      if (!v) {
        return v.error();
      }
      o.timeoutMs = static_cast<int>(*v);
    } else if (name == "--core-threads") {
      auto v = intIn(name, value, 1, 1024);
      if (!v) {
        return v.error();
      }
      o.coreThreads = static_cast<int>(*v);
    } else if (name == "--agents") {
      auto v = intIn(name, value, 0, kMaxTills);
      if (!v) {
        return v.error();
      }
      o.agents = static_cast<int>(*v);
    } else if (name == "--seed") {
      auto v = intIn(name, value, 0, 999999999999999999);
      if (!v) {
        return v.error();
      }
      o.seed = static_cast<uint64_t>(*v);
    } else if (name == "--core") {
      auto e = parseEndpoint(value);
      if (!e) {
        return usageError("--core: " + e.error().message);
      }
      o.core = e.value();
    } else if (name == "--agent-endpoints") {
      auto list = parseEndpointList(value);
      if (!list) {
        return usageError("--agent-endpoints: " + list.error().message);
      }
      o.agentEndpoints = list.value();
    } else {
      return usageError("unknown option '" + args[i] + "'");
    }
  }
  if (o.help) {
    return o;
  }
  if (!haveScenario) {
    return usageError("--scenario NAME is required");
  }
  if (o.tafengDir.empty()) {
    return usageError("--tafeng DIR is required");
  }
  if (o.tills > kMaxTills && o.scenario != Scenario::kTills) {
    return usageError("--tills wants at most " + std::to_string(kMaxTills) +
                      " (a thread each) except in scenario tills");
  }
  if (haveQueued && o.scenario != Scenario::kDrain) {
    return usageError("--queued is for scenario drain only");
  }
  if (o.tls && o.core) {
    return usageError("--tls needs a core started by loyalty-bench (it makes the certificates)");
  }
  if (o.scenario == Scenario::kTills && o.rate == 0) {
    o.rate = 1000;  // a national chain's peak: at least 1,000 sales/s in total
  }
  if (o.agents > o.tills) {
    return usageError("--agents cannot exceed --tills");
  }
  if (!o.agentEndpoints.empty() && o.scenario != Scenario::kAgent) {
    return usageError("--agent-endpoints is for scenario agent only");
  }
  if (!o.agentEndpoints.empty() && !o.core) {
    return usageError("--agent-endpoints needs --core (the core those agents forward to)");
  }
  const bool inProcess = o.scenario == Scenario::kStorage || o.scenario == Scenario::kJson;
  const std::string name(scenarioName(o.scenario));
  if (inProcess && o.core) {
    return usageError("scenario " + name + " runs in-process: --core does not apply");
  }
  if (inProcess && o.rate > 0) {
    return usageError("scenario " + name + " is closed loop only: --rate does not apply");
  }
  if (haveIterations && o.scenario != Scenario::kJson) {
    return usageError("--iterations is for scenario json only");
  }
  if (!o.storageDir.empty() && o.scenario != Scenario::kCommit &&
      o.scenario != Scenario::kStorage) {
    return usageError("--storage-dir is for scenarios commit and storage only");
  }
  if (haveHistoryOption && o.scenario != Scenario::kHistory) {
    return usageError("--customers, --history-lines and --history-db are for scenario history");
  }
  if (o.scenario == Scenario::kHistory) {
    if (o.core) {
      return usageError("scenario history starts its own cores: --core does not apply");
    }
    if (o.historyLines < o.historyCustomers) {
      return usageError("--history-lines cannot be below --customers (a line per customer)");
    }
    o.ceiling = false;
    o.storageCeiling = false;
  }
  return o;
}

}  // namespace loyalty::tools

// loyalty-bench: a load generator for the loyalty-core and the pos-agent. See benchUsage()
// (bench_options.cpp) and docs/benchmarks.md.
//
// Exit status: 0 the run happened (errors are reported in the results, not fatal), 1 cannot
// start (no data, a daemon does not start or is unreachable), 2 bad usage.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "common/synthetic_catalogue.h"
#include "common/tafeng.h"
#include "loyalty-bench/bench_options.h"
#include "loyalty-bench/bench_report.h"
#include "loyalty-bench/json_bench.h"
#include "loyalty-bench/runner.h"
#include "loyalty-bench/servers.h"
#include "loyalty-bench/storage_bench.h"
#include "loyalty-bench/workload.h"
#include "loyalty/agent/client.h"
#include "loyalty/protocol/json.h"

namespace loyalty::tools {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitCannotStart = 1;
constexpr int kExitUsage = 2;
constexpr int kAgentBudgetMs = 300;  // the agent's default core.budgetMs
constexpr double kWarmUpS = 1.0;

std::string base36(uint64_t v) {
  const char* digits = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string out;
  do {
    out.insert(out.begin(), digits[v % 36]);
    v /= 36;
  } while (v != 0);
  return out;
}

std::string utcDate() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[16];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
  return buf;
}

// Logs in to the admin API of a core started here; returns the bearer token.
base::Result<std::string> adminToken(const Endpoint& core, const std::string& user,
                                     const std::string& password) {
  agent::Client client(agent::ClientOptions{core.host, core.port, 60000, {}});
  protocol::json::Writer w;
  w.beginObject();
  w.key("user");
  w.value(user);
  w.key("password");
  w.value(password);
  w.endObject();
  auto answer = client.send("POST", "/v1/admin/login", w.str());
  if (!answer) {
    return answer.error();
  }
  auto parsed = protocol::json::parse(answer->body);
  const protocol::json::Value* token = parsed ? parsed->find("token") : nullptr;
  if (answer->status != 200 || token == nullptr || !token->isString()) {
    return base::makeError(base::ErrorCode::kUnauthorized,
                           "HTTP " + std::to_string(answer->status) + ": " + answer->body);
  }
  return token->asString();
}

// Scenario json: the parsers on the commit bodies of the pool (see json_bench.h).
int runJson(const BenchOptions& o, const Workload& workload) {
  std::vector<std::string> bodies;
  bodies.reserve(workload.poolSize());
  for (int64_t k = 0; k < static_cast<int64_t>(workload.poolSize()); ++k) {
    bodies.push_back(workload.commit(0, k, 1).body);  // shopper k, with a real key
  }
  const uint64_t iterations = static_cast<uint64_t>(o.iterations);
  std::fprintf(stderr, "loyalty-bench: %llu parses per parser over %zu bodies\n",
               static_cast<unsigned long long>(iterations), bodies.size());
  auto report = runJsonBench(bodies, o.lines, iterations, jsonWarmupFor(iterations));
  if (!report) {
    std::cerr << "loyalty-bench: " << report.error().message << "\n";
    return kExitCannotStart;
  }
  std::cout << (o.json ? formatJsonBenchJson(report.value()) + "\n"
                       : formatJsonBenchTable(report.value()));
  return kExitOk;
}

// The storage phase (scenario storage, or the storage ceiling of scenario commit): a warm-up
// like the HTTP phases' (when the phase lasts at least two of them), then the measured phase.
base::Result<PhaseResult> runStorage(const BenchOptions& o, const Workload& workload,
                                     const std::string& parentDir) {
  auto bench = StorageBench::open(workload, parentDir);
  if (!bench) {
    return bench.error();
  }
  std::fprintf(stderr, "loyalty-bench: storage database %s\n",
               bench.value()->databasePath().c_str());
  if (o.durationS >= 2 * kWarmUpS) {
    std::fprintf(stderr, "loyalty-bench: storage warm-up, not counted (%.1f s)\n", kWarmUpS);
    (void)bench.value()->runPhase("warm-up", o.tills, kWarmUpS, 1000000000);
  }
  std::fprintf(stderr, "loyalty-bench: %s %s, %d threads (%.1f s)\n",
               o.scenario == Scenario::kStorage ? "storage" : "ceiling", kStoragePhaseLabel,
               o.tills, o.durationS);
  return bench.value()->runPhase(kStoragePhaseLabel, o.tills, o.durationS, 0);
}

void printErrorSamples(const BenchReport& report) {
  for (const PhaseResult* p : {&report.main, report.direct ? &*report.direct : nullptr,
                               report.ceiling ? &*report.ceiling : nullptr,
                               report.storageCeiling ? &*report.storageCeiling : nullptr}) {
    for (size_t i = 0; p != nullptr && i < p->errorSamples.size(); ++i) {
      std::fprintf(stderr, "loyalty-bench: %s: error: %s\n", p->label.c_str(),
                   p->errorSamples[i].c_str());
    }
  }
}

bool reachable(const Endpoint& e, int timeoutMs, std::string& why) {
  agent::Client client(agent::ClientOptions{e.host, e.port, timeoutMs, {}});
  auto answer = client.send("GET", "/v1/health", "");
  if (!answer) {
    why = answer.error().message;
    return false;
  }
  return true;
}

int run(const std::vector<std::string>& args) {
  auto parsed = parseBenchOptions(args);
  if (!parsed) {
    std::cerr << "loyalty-bench: " << parsed.error().message << "\n"
              << "try 'loyalty-bench --help'\n";
    return kExitUsage;
  }
  const BenchOptions& o = parsed.value();
  if (o.help) {
    std::cout << benchUsage();
    return kExitOk;
  }

  auto data = loadTaFeng(o.tafengDir);
  if (!data) {
    std::cerr << "loyalty-bench: cannot load the TaFeng data: " << data.error().message << "\n";
    return kExitCannotStart;
  }
  const auto nowMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  const Workload workload(data.value(), o.lines, o.seed, "b" + base36(static_cast<uint64_t>(nowMs)),
                          utcDate());

  if (o.scenario == Scenario::kJson) {
    return runJson(o, workload);
  }
  if (o.scenario == Scenario::kStorage) {
    auto phase = runStorage(o, workload, o.storageDir);
    if (!phase) {
      std::cerr << "loyalty-bench: the storage phase cannot start: " << phase.error().message
                << "\n";
      return kExitCannotStart;
    }
    BenchReport report;
    report.scenario = "storage";
    report.tills = o.tills;
    report.durationS = o.durationS;
    report.lines = o.lines;
    report.connection = "in-process";
    report.target = "sqlite";
    report.main = std::move(phase).value();
    if (o.json) {
      printErrorSamples(report);
    }
    std::cout << (o.json ? formatReportJson(report) + "\n" : formatReportTable(report));
    return kExitOk;
  }

  std::unique_ptr<SpawnedServers> servers;
  auto needServers = [&]() -> bool {
    if (servers) {
      return true;
    }
    auto created = SpawnedServers::create();
    if (!created) {
      std::cerr << "loyalty-bench: " << created.error().message << "\n";
      return false;
    }
    servers = std::move(created).value();
    return true;
  };

  Endpoint core;
  if (o.core) {
    core = *o.core;
  } else {
    if (!needServers()) {
      return kExitCannotStart;
    }
    auto started = servers->startCore(o.coreThreads);
    if (!started) {
      std::cerr << "loyalty-bench: " << started.error().message << "\n";
      return kExitCannotStart;
    }
    core = started.value();
    auto token = adminToken(core, kBenchAdminUser, servers->adminPassword());
    if (!token) {
      std::cerr << "loyalty-bench: admin login failed: " << token.error().message << "\n";
      return kExitCannotStart;
    }
    agent::Client admin(agent::ClientOptions{core.host, core.port, 60000, token.value()});
    auto imported = admin.importCatalogue(catalogueCsv(workload.itemIds()));
    if (!imported) {
      std::cerr << "loyalty-bench: catalogue import failed: " << imported.error().message << "\n";
      return kExitCannotStart;
    }
    std::fprintf(stderr, "loyalty-bench: loyalty-core on %s (%s), %zu products imported\n",
                 core.str().c_str(), servers->dir().c_str(), workload.itemIds().size());
  }
  std::string why;
  if (!reachable(core, o.timeoutMs, why)) {
    std::cerr << "loyalty-bench: the core is unreachable: " << why << "\n";
    return kExitCannotStart;
  }

  std::vector<Endpoint> agents = o.agentEndpoints;
  if (o.scenario == Scenario::kAgent && agents.empty()) {
    if (!needServers()) {
      return kExitCannotStart;
    }
    const int count = o.agents == 0 ? o.tills : o.agents;
    for (int i = 0; i < count; ++i) {
      auto started = servers->startAgent(core, i, kAgentBudgetMs);
      if (!started) {
        std::cerr << "loyalty-bench: " << started.error().message << "\n";
        return kExitCannotStart;
      }
      agents.push_back(started.value());
    }
    std::fprintf(stderr, "loyalty-bench: %d pos-agent(s) started\n", count);
  }

  const int tills = o.tills;
  PhaseSpec spec;
  spec.tills = tills;
  spec.durationS = o.durationS;
  spec.rate = o.rate;
  spec.timeoutMs = o.timeoutMs;
  spec.endpoints = {core};
  spec.newConnectionPerRequest = o.scenario == Scenario::kReconnect;
  const Workload* w = &workload;
  switch (o.scenario) {
    case Scenario::kCommit:
      spec.label = "POST /v1/commit";
      spec.makeCalls = [w, tills](int t, int64_t k) {
        return std::vector<Call>{w->commit(t, k, tills)};
      };
      break;
    case Scenario::kPrice:
      spec.label = "POST /v1/price";
      spec.makeCalls = [w, tills](int t, int64_t k) {
        return std::vector<Call>{w->price(t, k, tills)};
      };
      break;
    case Scenario::kIdentify:
    case Scenario::kReconnect:
      spec.label = "POST /v1/identify";
      spec.makeCalls = [w, tills](int t, int64_t k) {
        return std::vector<Call>{w->identify(t, k, tills)};
      };
      break;
    case Scenario::kAgent:
      spec.label = "agent flow";
      spec.endpoints = agents;
      spec.makeCalls = [w, tills](int t, int64_t k) {
        return std::vector<Call>{w->identify(t, k, tills), w->price(t, k, tills),
                                 w->commit(t, k, tills)};
      };
      break;
    case Scenario::kStorage:
    case Scenario::kJson:
      return kExitUsage;  // handled above
  }

  BenchReport report;
  report.scenario = std::string(scenarioName(o.scenario));
  report.tills = tills;
  report.rate = o.rate;
  report.durationS = o.durationS;
  report.lines = o.lines;
  report.connection = spec.newConnectionPerRequest ? "new-per-request" : "keep-alive";
  report.target = o.scenario == Scenario::kAgent ? "agent" : "core";

  auto progress = [](const char* what, double s) {
    std::fprintf(stderr, "loyalty-bench: %s (%.1f s)\n", what, s);
  };
  if (o.durationS >= 2 * kWarmUpS) {
    PhaseSpec warm = spec;
    warm.durationS = kWarmUpS;
    progress("warm-up, not counted", warm.durationS);
    // Iterations far beyond the measured ones, so that no commit key repeats.
    warm.makeCalls = [make = spec.makeCalls](int t, int64_t k) { return make(t, k + 1000000000); };
    (void)runPhase(warm);
  }
  progress(spec.label.c_str(), spec.durationS);
  report.main = runPhase(spec);

  if (o.scenario == Scenario::kAgent) {
    PhaseSpec direct = spec;
    direct.label = "same flow to the core";
    direct.endpoints = {core};
    direct.makeCalls = [make = spec.makeCalls](int t, int64_t k) {
      return make(t, k + 2000000000);
    };
    progress("same flow straight to the core", direct.durationS);
    report.direct = runPhase(direct);
  }
  if (o.ceiling) {
    PhaseSpec ceiling = spec;
    ceiling.label = "GET /v1/health";
    ceiling.endpoints = {core};
    ceiling.rate = 0;  // a capacity: always as fast as possible
    ceiling.makeCalls = [](int, int64_t) { return std::vector<Call>{Workload::health()}; };
    progress("ceiling GET /v1/health", ceiling.durationS);
    report.ceiling = runPhase(ceiling);
  }
  if (o.ceiling && o.storageCeiling && o.scenario == Scenario::kCommit) {
    // On the spawned core's disk unless told otherwise; the core is idle by now.
    const std::string parent =
        !o.storageDir.empty() ? o.storageDir : (servers ? servers->dir() : std::string());
    auto storage = runStorage(o, workload, parent);
    if (!storage) {
      std::cerr << "loyalty-bench: the storage ceiling cannot start: "
                << storage.error().message << "\n";
      return kExitCannotStart;
    }
    report.storageCeiling = std::move(storage).value();
  }

  if (o.json) {
    // The table shows the first errors; with --json they go to stderr.
    printErrorSamples(report);
  }
  std::cout << (o.json ? formatReportJson(report) + "\n" : formatReportTable(report));
  return kExitOk;
}

}  // namespace
}  // namespace loyalty::tools

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    return loyalty::tools::run(args);
  } catch (const std::exception& e) {
    std::cerr << "loyalty-bench: internal error: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "loyalty-bench: internal error\n";
  }
  return 1;
}

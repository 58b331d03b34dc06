// loyalty-bench: a load generator for the loyalty-core and the pos-agent. See benchUsage()
// (bench_options.cpp) and docs/benchmarks.md.
//
// Exit status: 0 the run happened (errors are reported in the results, not fatal), 1 cannot
// start (no data, a daemon does not start or is unreachable), 2 bad usage.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>
#include <ctime>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "common/synthetic_catalogue.h"
#include "common/tafeng.h"
#include "loyalty-bench/bench_options.h"
#include "loyalty-bench/bench_report.h"
#include "loyalty-bench/cpu_usage.h"
#include "loyalty-bench/history_db.h"
#include "loyalty-bench/json_bench.h"
#include "loyalty-bench/runner.h"
#include "loyalty-bench/servers.h"
#include "loyalty-bench/outage.h"
#include "loyalty-bench/storage_bench.h"
#include "loyalty-bench/tills_scenario.h"
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

// VmRSS of a process in kB (0 when it cannot be read).
int64_t residentKb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::atoll(line.c_str() + 6);
    }
  }
  return 0;
}

// Samples a process's VmRSS every 100 ms until destroyed; max() is the largest sample.
class RssSampler {
 public:
  explicit RssSampler(pid_t pid) : pid_(pid), thread_([this] { loop(); }) {}
  ~RssSampler() {
    stop_ = true;
    thread_.join();
  }
  RssSampler(const RssSampler&) = delete;
  RssSampler& operator=(const RssSampler&) = delete;
  int64_t max() const { return max_.load(); }

 private:
  void loop() {
    while (!stop_) {
      const int64_t kb = residentKb(pid_);
      if (kb > max_.load()) {
        max_ = kb;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  const pid_t pid_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> max_{0};
  std::thread thread_;
};

struct CommitRun {
  PhaseResult phase;
  int64_t rssMaxKb = 0;
  int64_t rssAfterStartKb = 0;
};

// Scenario commit (no ceilings) on a core started on databasePath ("" = a new, empty one).
base::Result<CommitRun> commitOnCore(const BenchOptions& o, const Workload& workload,
                                     SpawnedServers& servers, const std::string& databasePath,
                                     const char* name) {
  auto core = servers.startCore(o.coreThreads, databasePath);
  if (!core) {
    return core.error();
  }
  CommitRun run;
  run.rssAfterStartKb = residentKb(servers.corePid());
  RssSampler rss(servers.corePid());
  auto token = benchAdminToken(core.value(), servers.adminPassword());
  if (!token) {
    return token.error();
  }
  agent::Client admin(agent::ClientOptions{core->host, core->port, 60000, token.value()});
  auto imported = admin.importCatalogue(catalogueCsv(workload.itemIds()));
  if (!imported) {
    return imported.error();
  }
  const int tills = o.tills;
  const Workload* w = &workload;
  PhaseSpec spec;
  spec.tills = tills;
  spec.durationS = o.durationS;
  spec.rate = o.rate;
  spec.timeoutMs = o.timeoutMs;
  spec.endpoints = {core.value()};
  spec.label = "POST /v1/commit";
  spec.makeCalls = [w, tills](int t, int64_t k) {
    return std::vector<Call>{w->commit(t, k, tills)};
  };
  std::fprintf(stderr, "loyalty-bench: %s core on %s, RSS %lld kB after start\n", name,
               core->str().c_str(), static_cast<long long>(run.rssAfterStartKb));
  if (o.durationS >= 2 * kWarmUpS) {
    PhaseSpec warm = spec;
    warm.durationS = kWarmUpS;
    warm.makeCalls = [make = spec.makeCalls](int t, int64_t k) { return make(t, k + 1000000000); };
    (void)runPhase(warm);
  }
  std::fprintf(stderr, "loyalty-bench: %s: POST /v1/commit (%.1f s)\n", name, o.durationS);
  run.phase = runPhase(spec);
  run.rssMaxKb = rss.max();
  return run;
}

std::string jsonNumber(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

// Scenario history (issue 5): see benchUsage() and history_db.h.
int runHistory(const BenchOptions& o, const TaFengData& data, const Workload& workload) {
  auto fullServers = SpawnedServers::create();
  auto emptyServers = SpawnedServers::create();
  if (!fullServers || !emptyServers) {
    std::cerr << "loyalty-bench: cannot create a temporary folder\n";
    return kExitCannotStart;
  }
  // Absolute: the core runs in its own folder.
  std::error_code ec;
  const std::string path = o.historyDb.empty()
                               ? fullServers.value()->dir() + "/history.db"
                               : std::filesystem::absolute(o.historyDb, ec).string();
  struct stat st {};
  base::Result<HistoryStats> stats = HistoryStats{};
  if (::stat(path.c_str(), &st) == 0) {
    stats = readHistoryDb(path);
    if (stats) {
      std::fprintf(stderr,
                   "loyalty-bench: reusing %s: %lld customers, %lld lines, %lld sales, %s\n",
                   path.c_str(), static_cast<long long>(stats->customers),
                   static_cast<long long>(stats->lines), static_cast<long long>(stats->sales),
                   humanBytes(stats->dbBytes).c_str());
    }
  } else {
    std::fprintf(stderr, "loyalty-bench: building %s: %lld customers, %lld lines\n", path.c_str(),
                 static_cast<long long>(o.historyCustomers),
                 static_cast<long long>(o.historyLines));
    const HistorySpec spec{o.historyCustomers, o.historyLines, o.seed};
    stats = buildHistoryDb(data, spec, path, [&](const HistoryProgress& p) {
      const double rate = p.elapsedS > 0 ? static_cast<double>(p.linesDone) / p.elapsedS : 0;
      const double eta =
          rate > 0 ? static_cast<double>(spec.lines - p.linesDone) / rate : 0;
      std::fprintf(stderr,
                   "loyalty-bench: history %lld/%lld customers, %lld lines, %.0f lines/s, "
                   "%.0f s elapsed, ETA %.0f s\n",
                   static_cast<long long>(p.customersDone), static_cast<long long>(spec.customers),
                   static_cast<long long>(p.linesDone), rate, p.elapsedS, eta);
    });
  }
  if (!stats) {
    std::cerr << "loyalty-bench: history database: " << stats.error().message << "\n";
    return kExitCannotStart;
  }
  // The build wrote with synchronous=OFF: its dirty pages go to disk now, not during the runs.
  ::sync();
  if (auto reset = resetHistoryUsers(path); !reset.ok()) {
    std::cerr << "loyalty-bench: history database: " << reset.error().message << "\n";
    return kExitCannotStart;
  }
  // Empty, history, empty again (each on a core of its own): the baseline is the mean of the
  // two empty runs, so that a drift of the shared machine during the run does not count against
  // (or for) the history.
  auto empty = commitOnCore(o, workload, *emptyServers.value(), "", "empty");
  if (!empty) {
    std::cerr << "loyalty-bench: empty core: " << empty.error().message << "\n";
    return kExitCannotStart;
  }
  emptyServers.value().reset();  // stops that core
  auto full = commitOnCore(o, workload, *fullServers.value(), path, "history");
  if (!full) {
    std::cerr << "loyalty-bench: history core: " << full.error().message << "\n";
    return kExitCannotStart;
  }
  fullServers.value()->stopAll();
  auto againServers = SpawnedServers::create();
  if (!againServers) {
    std::cerr << "loyalty-bench: cannot create a temporary folder\n";
    return kExitCannotStart;
  }
  auto again = commitOnCore(o, workload, *againServers.value(), "", "empty again");
  if (!again) {
    std::cerr << "loyalty-bench: empty core: " << again.error().message << "\n";
    return kExitCannotStart;
  }

  BenchReport report;
  report.scenario = "history";
  report.tills = o.tills;
  report.rate = o.rate;
  report.durationS = o.durationS;
  report.lines = o.lines;
  report.connection = "keep-alive";
  report.target = "core";
  report.main = full->phase;
  const double tEmpty = (empty->phase.throughputPerS() + again->phase.throughputPerS()) / 2;
  const double tFull = full->phase.throughputPerS();
  const double p99Empty = (static_cast<double>(empty->phase.latency.percentile(99)) +
                           static_cast<double>(again->phase.latency.percentile(99))) /
                          2;
  const int64_t p99Full = full->phase.latency.percentile(99);
  const std::string ratioT = tEmpty > 0 ? jsonNumber(tFull / tEmpty) : "null";
  // p99 as "empty over full": like the throughput ratio, 1 = no change, below 1 = worse.
  const std::string ratioP =
      p99Full > 0 ? jsonNumber(p99Empty / static_cast<double>(p99Full)) : "null";
  if (o.json) {
    BenchReport emptyReport = report;
    emptyReport.main = empty->phase;
    printErrorSamples(emptyReport);
    emptyReport.main = again->phase;
    printErrorSamples(emptyReport);
    printErrorSamples(report);
    std::string out = formatReportJson(report);
    out.pop_back();
    out += ",\"history\":{\"customers\":" + std::to_string(stats->customers) +
           ",\"lines\":" + std::to_string(stats->lines) +
           ",\"sales\":" + std::to_string(stats->sales) +
           ",\"db_bytes\":" + std::to_string(stats->dbBytes) +
           ",\"build_seconds\":" + jsonNumber(stats->buildSeconds) +
           ",\"commit_full\":" + formatPhaseJson(full->phase) +
           ",\"commit_empty\":" + formatPhaseJson(empty->phase) +
           ",\"commit_empty_after\":" + formatPhaseJson(again->phase) +
           ",\"ratio_throughput\":" + ratioT + ",\"ratio_p99\":" + ratioP +
           ",\"rss_kb_full\":" + std::to_string(full->rssMaxKb) +
           ",\"rss_kb_empty\":" + std::to_string(std::max(empty->rssMaxKb, again->rssMaxKb)) +
           ",\"rss_kb_full_after_start\":" + std::to_string(full->rssAfterStartKb) +
           ",\"rss_kb_empty_after_start\":" + std::to_string(empty->rssAfterStartKb) + "}}";
    std::cout << out << "\n";
    return kExitOk;
  }
  BenchReport emptyReport = report;
  emptyReport.scenario = "history (empty database)";
  emptyReport.main = empty->phase;
  report.scenario = "history (full database)";
  BenchReport againReport = emptyReport;
  againReport.scenario = "history (empty database, again)";
  againReport.main = again->phase;
  std::cout << formatReportTable(emptyReport) << "\n"
            << formatReportTable(report) << "\n"
            << formatReportTable(againReport) << "\n";
  std::printf("history: %lld customers, %lld lines, %lld sales, %s, built in %.1f s\n",
              static_cast<long long>(stats->customers), static_cast<long long>(stats->lines),
              static_cast<long long>(stats->sales), humanBytes(stats->dbBytes).c_str(),
              stats->buildSeconds);
  std::printf("ratio full/empty (mean of both empty runs): throughput %s, p99 (empty/full) %s\n",
              ratioT.c_str(),
              ratioP.c_str());
  std::printf("core peak VmRSS: full %lld kB, empty %lld kB\n",
              static_cast<long long>(full->rssMaxKb),
              static_cast<long long>(std::max(empty->rssMaxKb, again->rssMaxKb)));
  return kExitOk;
}

bool reachable(const Endpoint& e, int timeoutMs, std::string& why,
               const std::shared_ptr<agent::ClientTls>& tls = nullptr) {
  agent::ClientOptions options{e.host, e.port, timeoutMs, {}};
  options.tls = tls;
  agent::Client client(options);
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

  if (o.tls && (o.scenario == Scenario::kJson || o.scenario == Scenario::kStorage ||
                o.scenario == Scenario::kHistory)) {
    std::cerr << "loyalty-bench: scenario " << scenarioName(o.scenario) << " has no --tls\n";
    return kExitUsage;
  }
  if (o.scenario == Scenario::kJson) {
    return runJson(o, workload);
  }
  if (o.scenario == Scenario::kHistory) {
    return runHistory(o, data.value(), workload);
  }
  if (o.scenario == Scenario::kTills) {
    return runTills(o, data.value(), workload);
  }
  if (o.scenario == Scenario::kOffline || o.scenario == Scenario::kDrain) {
    return runOutage(o, data.value(), workload);
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
  std::shared_ptr<agent::ClientTls> tls;  // --tls: what every connection to the core uses
  if (o.core) {
    core = *o.core;
  } else {
    if (!needServers()) {
      return kExitCannotStart;
    }
    auto started = servers->startCore(o.coreThreads, "", o.tls);
    if (!started) {
      std::cerr << "loyalty-bench: " << started.error().message << "\n";
      return kExitCannotStart;
    }
    core = started.value();
    if (o.tls) {
      const BenchTlsFiles& files = *servers->tlsFiles();
      auto created = agent::ClientTls::create(agent::ClientTlsFiles{
          files.caCertificate, files.terminalCertificate, files.terminalKey});
      if (!created) {
        std::cerr << "loyalty-bench: TLS: " << created.error().message << "\n";
        return kExitCannotStart;
      }
      tls = std::move(created).value();
    }
    auto token = benchAdminToken(core, servers->adminPassword(), tls);
    if (!token) {
      std::cerr << "loyalty-bench: admin login failed: " << token.error().message << "\n";
      return kExitCannotStart;
    }
    agent::ClientOptions adminOptions{core.host, core.port, 60000, token.value()};
    adminOptions.tls = tls;
    agent::Client admin(adminOptions);
    auto imported = admin.importCatalogue(catalogueCsv(workload.itemIds()));
    if (!imported) {
      std::cerr << "loyalty-bench: catalogue import failed: " << imported.error().message << "\n";
      return kExitCannotStart;
    }
    std::fprintf(stderr, "loyalty-bench: loyalty-core on %s (%s%s), %zu products imported\n",
                 core.str().c_str(), tls ? "mutual TLS, " : "", servers->dir().c_str(),
                 workload.itemIds().size());
  }
  std::string why;
  if (!reachable(core, o.timeoutMs, why, tls)) {
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
  spec.tls = o.scenario == Scenario::kAgent ? nullptr : tls;  // tills -> agents: plain HTTP
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
    case Scenario::kHistory:
    case Scenario::kTills:
    case Scenario::kOffline:
    case Scenario::kDrain:
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
  report.tls = tls != nullptr;

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
  const int64_t tlsBefore = tls ? tls->connections() : 0;
  const int64_t resumedBefore = tls ? tls->resumedConnections() : 0;
  const pid_t corePid = servers && o.scenario != Scenario::kAgent ? servers->corePid() : 0;
  const std::optional<double> coreCpuBefore =
      corePid != 0 ? processCpuSeconds(corePid) : std::nullopt;
  const double benchCpuBefore = ownCpuSeconds();
  report.main = runPhase(spec);
  if (const std::optional<double> coreCpuAfter =
          corePid != 0 ? processCpuSeconds(corePid) : std::nullopt;
      coreCpuBefore && coreCpuAfter && report.main.answered > 0) {
    const double answered = static_cast<double>(report.main.answered);
    report.coreCpuUsPerRequest = (*coreCpuAfter - *coreCpuBefore) * 1e6 / answered;
    report.benchCpuUsPerRequest = (ownCpuSeconds() - benchCpuBefore) * 1e6 / answered;
  }
  if (tls) {
    // Scenario agent: the agents' links are counted in their own logs, not here.
    report.tlsConnections = static_cast<uint64_t>(tls->connections() - tlsBefore);
    report.tlsResumed = static_cast<uint64_t>(tls->resumedConnections() - resumedBefore);
  }

  if (o.scenario == Scenario::kAgent) {
    PhaseSpec direct = spec;
    direct.label = "same flow to the core";
    direct.endpoints = {core};
    direct.tls = tls;
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
    ceiling.tls = tls;
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

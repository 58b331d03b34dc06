#include "loyalty-bench/outage.h"

#include <netinet/in.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/synthetic_catalogue.h"
#include "loyalty-bench/bench_report.h"
#include "loyalty-bench/runner.h"
#include "loyalty-bench/servers.h"
#include "loyalty/agent/client.h"
#include "loyalty/protocol/json.h"

namespace loyalty::tools {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kExitOk = 0;
constexpr int kExitCannotStart = 1;
constexpr int kExitUsage = 2;
constexpr int kAgentBudgetMs = 300;  // the agent's default core.budgetMs
constexpr double kWarmUpS = 1.0;
constexpr int kMaxDeliveryConcurrency = 64;  // the agent's limit (outbox.deliveryConcurrency)
constexpr auto kPollInterval = std::chrono::milliseconds(10);
constexpr size_t kMaxErrorSamples = 5;
constexpr int kFillTimeoutMs = 60000;
// Iteration offsets of the phases, so that no transaction key repeats across them.
constexpr int64_t kWarmUpOffset = 1000000000;
constexpr int64_t kBlackholeOffset = 3000000000;

double secondsBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

std::string number(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// The first three fields of /proc/loadavg ("" when it cannot be read).
std::string loadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string a;
  std::string b;
  std::string c;
  if (in >> a >> b >> c) {
    return a + " " + b + " " + c;
  }
  return "";
}

// CPU time (user + system) a process used so far, in seconds; -1 when it cannot be read.
double cpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(in, text);
  const size_t close = text.rfind(')');
  if (close == std::string::npos) {
    return -1;
  }
  // After the command's ")": field 3 (state) and on; utime and stime are fields 14 and 15.
  std::istringstream fields(text.substr(close + 1));
  std::string skip;
  for (int field = 3; field < 14; ++field) {
    fields >> skip;
  }
  long long utime = 0;
  long long stime = 0;
  if (!(fields >> utime >> stime)) {
    return -1;
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// The pos-agents started from `dir` (their command line names dir/agent<N>.properties).
std::vector<pid_t> agentPids(const std::string& dir) {
  std::vector<pid_t> pids;
  const std::string marker = "--config=" + dir + "/agent";
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmdline.find(marker) != std::string::npos) {
      pids.push_back(static_cast<pid_t>(std::stol(name)));
    }
  }
  return pids;
}

double cpuSeconds(const std::vector<pid_t>& pids) {
  double total = 0;
  for (pid_t pid : pids) {
    total += std::max(0.0, cpuSeconds(pid));
  }
  return total;
}

// Stops (SIGSTOP) or resumes (SIGCONT) a process, and waits until it is (state 'T') or is no
// longer stopped: kill() returns before the process's threads have stopped, and a request
// answered meanwhile would not be the outage the scenario means.
// True when every thread of the process is stopped (state 'T' in /proc/<pid>/task/*/stat).
bool allThreadsStopped(pid_t pid) {
  std::error_code ec;
  bool any = false;
  for (const auto& task :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::ifstream in(task.path() / "stat");
    std::string text;
    std::getline(in, text);
    const size_t close = text.rfind(')');
    if (close == std::string::npos || close + 2 >= text.size() || text[close + 2] != 'T') {
      return false;
    }
    any = true;
  }
  return any && !ec;
}

bool signalAndWait(pid_t pid, int signal) {
  if (::kill(pid, signal) != 0) {
    return false;
  }
  const bool wantStopped = signal == SIGSTOP;
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  while (Clock::now() < deadline) {
    if (allThreadsStopped(pid) == wantStopped) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

// A loopback port nothing listens on: one the OS chose for a socket that is closed again.
base::Result<uint16_t> closedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    return base::makeError(base::ErrorCode::kInternal, "cannot create a socket");
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                     ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  ::close(fd);
  if (!bound) {
    return base::makeError(base::ErrorCode::kInternal, "cannot bind a loopback port");
  }
  return ntohs(address.sin_port);
}

// Properties of the spawned agents: the delivery concurrency asked for, and enough request
// threads for their tills (the agent serves a keep-alive connection on one thread).
void configureAgents(SpawnedServers& servers, std::optional<int> concurrency, int tills,
                     int agents) {
  if (concurrency) {
    servers.addAgentProperty("loyalty.agent.outbox.deliveryConcurrency",
                             std::to_string(*concurrency));
  }
  const int perAgent = (tills + agents - 1) / agents;
  servers.addAgentProperty("loyalty.agent.http.threads",
                           std::to_string(std::clamp(perAgent + 2, 8, 256)));
}

// LOYALTY_BENCH_DELIVERY_CONCURRENCY: nullopt when unset (the agents' default).
base::Result<std::optional<int>> deliveryConcurrency() {
  const char* text = std::getenv(kDeliveryConcurrencyEnv);
  if (text == nullptr || *text == '\0') {
    return std::optional<int>();
  }
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (*end != '\0' || v < 1 || v > kMaxDeliveryConcurrency) {
    return base::makeError(base::ErrorCode::kInvalidValue,
                           std::string(kDeliveryConcurrencyEnv) + " wants 1 to " +
                               std::to_string(kMaxDeliveryConcurrency) + ", not '" + text + "'");
  }
  return std::optional<int>(static_cast<int>(v));
}

std::string concurrencyJson(std::optional<int> k) { return k ? std::to_string(*k) : "null"; }
std::string concurrencyText(std::optional<int> k) {
  return k ? std::to_string(*k) : std::string("the agents' default");
}

// Logs in to the admin API of the core started here and imports the catalogue of the workload.
base::Status importCatalogue(const Endpoint& core, const SpawnedServers& servers,
                             const Workload& workload) {
  base::Result<std::string> token = benchAdminToken(core, servers.adminPassword());
  if (!token) {
    return base::makeError(token.error().code, "admin login: " + token.error().message);
  }
  agent::Client admin(agent::ClientOptions{core.host, core.port, 60000, *token});
  auto imported = admin.importCatalogue(catalogueCsv(workload.itemIds()));
  if (!imported) {
    return imported.error();
  }
  return base::okStatus();
}

base::Result<std::vector<Endpoint>> startAgents(SpawnedServers& servers, const Endpoint& core,
                                                int count) {
  std::vector<Endpoint> agents;
  for (int i = 0; i < count; ++i) {
    auto started = servers.startAgent(core, i, kAgentBudgetMs);
    if (!started) {
      return started.error();
    }
    agents.push_back(started.value());
  }
  return agents;
}

// The agents' statuses summed; nullopt when one of them does not answer.
struct OutboxTotals {
  int64_t pending = 0;
  int64_t delivered = 0;
  int64_t deadLetters = 0;
  int reachable = 0;  // agents that see their core reachable
};

std::optional<OutboxTotals> totals(std::vector<std::unique_ptr<agent::Client>>& clients) {
  OutboxTotals t;
  for (auto& client : clients) {
    auto status = client->agentStatus();
    if (!status) {
      return std::nullopt;
    }
    t.pending += status->outboxPending;
    t.delivered += status->delivered;
    t.deadLetters += status->deadLetters;
    t.reachable += status->coreReachable ? 1 : 0;
  }
  return t;
}

std::vector<std::unique_ptr<agent::Client>> statusClients(const std::vector<Endpoint>& agents) {
  std::vector<std::unique_ptr<agent::Client>> clients;
  for (const Endpoint& e : agents) {
    clients.push_back(
        std::make_unique<agent::Client>(agent::ClientOptions{e.host, e.port, 5000, {}}));
  }
  return clients;
}

void printErrorSamples(const PhaseResult& p) {
  for (const std::string& e : p.errorSamples) {
    std::fprintf(stderr, "loyalty-bench: %s: error: %s\n", p.label.c_str(), e.c_str());
  }
}

// ---------------------------------------------------------------------------------------------
// Scenario offline
// ---------------------------------------------------------------------------------------------

PhaseSpec flowSpec(const BenchOptions& o, const Workload& workload,
                   const std::vector<Endpoint>& agents, const std::string& label, int64_t offset) {
  PhaseSpec spec;
  spec.label = label;
  spec.endpoints = agents;
  spec.tills = o.tills;
  spec.durationS = o.durationS;
  spec.rate = o.rate;
  spec.timeoutMs = o.timeoutMs;
  spec.expectAgentAnswers = true;
  const Workload* w = &workload;
  const int tills = o.tills;
  spec.makeCalls = [w, tills, offset](int t, int64_t k) {
    return std::vector<Call>{w->identify(t, k + offset, tills), w->price(t, k + offset, tills),
                             w->commit(t, k + offset, tills)};
  };
  return spec;
}

uint64_t commitsAnswered(const PhaseResult& p) {
  auto it = p.ops.find("commit");
  return it == p.ops.end() ? 0 : it->second.count();
}

int runOffline(const BenchOptions& o, const Workload& workload, std::optional<int> concurrency) {
  const std::string load = loadAverage();
  std::fprintf(stderr, "loyalty-bench: load average %s\n", load.c_str());
  const int count = o.agents == 0 ? o.tills : o.agents;

  // Phase 1: the core is down (its address is a closed port).
  auto port = closedPort();
  auto downServers = SpawnedServers::create();
  if (!port || !downServers) {
    std::cerr << "loyalty-bench: " << (!port ? port.error() : downServers.error()).message << "\n";
    return kExitCannotStart;
  }
  configureAgents(*downServers.value(), concurrency, o.tills, count);
  const Endpoint deadCore{"127.0.0.1", port.value()};
  auto downAgents = startAgents(*downServers.value(), deadCore, count);
  if (!downAgents) {
    std::cerr << "loyalty-bench: " << downAgents.error().message << "\n";
    return kExitCannotStart;
  }
  std::fprintf(stderr, "loyalty-bench: %d pos-agent(s) whose core %s is down (%s)\n", count,
               deadCore.str().c_str(), downServers.value()->dir().c_str());
  PhaseSpec down = flowSpec(o, workload, downAgents.value(), "agent flow, core down", 0);
  uint64_t warmCommits = 0;
  if (o.durationS >= 2 * kWarmUpS) {
    PhaseSpec warm = flowSpec(o, workload, downAgents.value(), "warm-up", kWarmUpOffset);
    warm.durationS = kWarmUpS;
    std::fprintf(stderr, "loyalty-bench: warm-up, not counted (%.1f s)\n", kWarmUpS);
    warmCommits = commitsAnswered(runPhase(warm));
  }
  std::fprintf(stderr, "loyalty-bench: %s (%.1f s)\n", down.label.c_str(), down.durationS);
  PhaseResult downResult = runPhase(down);
  auto downClients = statusClients(downAgents.value());
  const std::optional<OutboxTotals> downTotals = totals(downClients);
  const int64_t downCommits = static_cast<int64_t>(warmCommits + commitsAnswered(downResult));
  downClients.clear();
  downServers.value().reset();  // stops those agents

  // Phase 2: the core is blackholed (SIGSTOP: it accepts connections, never answers).
  auto holeServers = SpawnedServers::create();
  if (!holeServers) {
    std::cerr << "loyalty-bench: " << holeServers.error().message << "\n";
    return kExitCannotStart;
  }
  SpawnedServers& hs = *holeServers.value();
  configureAgents(hs, concurrency, o.tills, count);
  auto core = hs.startCore(o.coreThreads);
  if (!core) {
    std::cerr << "loyalty-bench: " << core.error().message << "\n";
    return kExitCannotStart;
  }
  const pid_t corePid = hs.corePid();
  if (!signalAndWait(corePid, SIGSTOP)) {
    std::cerr << "loyalty-bench: cannot stop the core (SIGSTOP)\n";
    return kExitCannotStart;
  }
  auto holeAgents = startAgents(hs, core.value(), count);
  if (!holeAgents) {
    ::kill(corePid, SIGCONT);
    std::cerr << "loyalty-bench: " << holeAgents.error().message << "\n";
    return kExitCannotStart;
  }
  PhaseSpec hole =
      flowSpec(o, workload, holeAgents.value(), "agent flow, core blackholed", kBlackholeOffset);
  std::fprintf(stderr, "loyalty-bench: %s: core %s stopped with SIGSTOP (%.1f s)\n",
               hole.label.c_str(), core->str().c_str(), hole.durationS);
  PhaseResult holeResult = runPhase(hole);
  auto holeClients = statusClients(holeAgents.value());
  const std::optional<OutboxTotals> holeTotals = totals(holeClients);
  holeClients.clear();
  ::kill(corePid, SIGCONT);
  hs.stopAll();

  BenchReport report;
  report.scenario = "offline";
  report.tills = o.tills;
  report.rate = o.rate;
  report.durationS = o.durationS;
  report.lines = o.lines;
  report.connection = "keep-alive";
  report.target = "agent";
  report.main = downResult;
  const std::string queuedDown = downTotals ? std::to_string(downTotals->pending) : "null";
  const std::string queuedHole = holeTotals ? std::to_string(holeTotals->pending) : "null";
  const std::string reachableHole = holeTotals ? std::to_string(holeTotals->reachable) : "null";
  if (o.json) {
    printErrorSamples(downResult);
    printErrorSamples(holeResult);
    std::string out = formatReportJson(report);
    out.pop_back();
    out +=
        ",\"agents\":" + std::to_string(count) +
        ",\"delivery_concurrency\":" + concurrencyJson(concurrency) + ",\"load_average\":\"" +
        load + "\"" + ",\"commits_answered_queued\":" + std::to_string(downCommits) +
        ",\"queued_in_outboxes\":" + queuedDown + ",\"blackholed\":" + formatPhaseJson(holeResult) +
        ",\"blackholed_commits_answered_queued\":" + std::to_string(commitsAnswered(holeResult)) +
        ",\"blackholed_queued_in_outboxes\":" + queuedHole +
        ",\"blackholed_agents_seeing_core_reachable\":" + reachableHole + "}";
    std::cout << out << "\n";
    return kExitOk;
  }
  BenchReport holeReport = report;
  holeReport.scenario = "offline, core blackholed (SIGSTOP)";
  holeReport.main = holeResult;
  std::cout << formatReportTable(report);
  std::printf("commits answered \"queued\": %lld (warm-up included); in the outboxes: %s\n\n",
              static_cast<long long>(downCommits), queuedDown.c_str());
  std::cout << formatReportTable(holeReport);
  std::printf(
      "commits answered \"queued\": %llu; in the outboxes: %s; agents that see the core "
      "reachable: %s of %d\n",
      static_cast<unsigned long long>(commitsAnswered(holeResult)), queuedHole.c_str(),
      reachableHole.c_str(), count);
  std::printf("%d agent(s), delivery concurrency %s, load average before the run %s\n", count,
              concurrencyText(concurrency).c_str(), load.c_str());
  return kExitOk;
}

// ---------------------------------------------------------------------------------------------
// Scenario drain
// ---------------------------------------------------------------------------------------------

struct FillResult {
  int64_t queued = 0;  // commits answered "queued"
  uint64_t errors = 0;
  uint64_t starved = 0;
  std::vector<std::string> samples;
  double seconds = 0;
};

// `tills` tills queue `total` commits through the agents (till t uses agents[t % size]). Not
// measured, so each call may take up to kFillTimeoutMs (an enqueue waits for the agent's fsync,
// which a loaded disk can stall for seconds).
FillResult fill(const BenchOptions& o, const Workload& workload,
                const std::vector<Endpoint>& agents, int64_t total) {
  std::atomic<int64_t> claimed{0};
  std::vector<FillResult> perTill(static_cast<size_t>(o.tills));
  const Clock::time_point start = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < o.tills; ++t) {
    threads.emplace_back([&, t] {
      FillResult& r = perTill[static_cast<size_t>(t)];
      const Endpoint& e = agents[static_cast<size_t>(t) % agents.size()];
      agent::Client client(
          agent::ClientOptions{e.host, e.port, std::max(o.timeoutMs, kFillTimeoutMs), {}});
      for (int64_t k = 0; claimed.fetch_add(1) < total; ++k) {
        const Call call = workload.commit(t, k, o.tills);
        auto answer = client.send(call.method, call.path, call.body);
        std::string problem;
        if (!answer) {
          ++r.starved;
          problem = answer.error().message;
        } else if (answer->status != 200) {
          problem = "HTTP " + std::to_string(answer->status) + " " + answer->body.substr(0, 200);
        } else if (answer->body.find("\"status\":\"queued\"") == std::string::npos) {
          problem = "answered by the core, not queued";
        }
        if (problem.empty()) {
          ++r.queued;
        } else {
          ++r.errors;
          if (r.samples.size() < kMaxErrorSamples) {
            r.samples.push_back("commit: " + problem);
          }
        }
      }
    });
  }
  for (std::thread& th : threads) {
    th.join();
  }
  FillResult all;
  all.seconds = secondsBetween(start, Clock::now());
  for (const FillResult& r : perTill) {
    all.queued += r.queued;
    all.errors += r.errors;
    all.starved += r.starved;
    for (const std::string& s : r.samples) {
      if (all.samples.size() < kMaxErrorSamples) {
        all.samples.push_back(s);
      }
    }
  }
  return all;
}

// Sales of the bench's store in the core's database (the core must be stopped); -1 on failure.
int64_t storedSales(const std::string& path) {
  sqlite3* db = nullptr;
  int64_t count = -1;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM sales WHERE store = ?1", -1, &stmt, nullptr) ==
            SQLITE_OK &&
        sqlite3_bind_text(stmt, 1, kBenchStore, -1, SQLITE_STATIC) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      count = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return count;
}

int runDrain(const BenchOptions& o, const Workload& workload, std::optional<int> concurrency) {
  const std::string load = loadAverage();
  std::fprintf(stderr, "loyalty-bench: load average %s\n", load.c_str());
  auto created = SpawnedServers::create();
  if (!created) {
    std::cerr << "loyalty-bench: " << created.error().message << "\n";
    return kExitCannotStart;
  }
  SpawnedServers& servers = *created.value();
  const int count = o.agents == 0 ? 1 : o.agents;
  configureAgents(servers, concurrency, o.tills, count);
  auto core = servers.startCore(o.coreThreads);
  if (!core) {
    std::cerr << "loyalty-bench: " << core.error().message << "\n";
    return kExitCannotStart;
  }
  if (auto imported = importCatalogue(core.value(), servers, workload); !imported.ok()) {
    std::cerr << "loyalty-bench: catalogue import failed: " << imported.error().message << "\n";
    return kExitCannotStart;
  }
  auto agents = startAgents(servers, core.value(), count);
  if (!agents) {
    std::cerr << "loyalty-bench: " << agents.error().message << "\n";
    return kExitCannotStart;
  }
  std::fprintf(stderr, "loyalty-bench: loyalty-core on %s and %d pos-agent(s) (%s)\n",
               core->str().c_str(), count, servers.dir().c_str());

  const pid_t corePid = servers.corePid();
  if (!signalAndWait(corePid, SIGSTOP)) {
    std::cerr << "loyalty-bench: cannot stop the core (SIGSTOP)\n";
    return kExitCannotStart;
  }
  std::fprintf(stderr, "loyalty-bench: core stopped (SIGSTOP); %d tills queue %lld sales\n",
               o.tills, static_cast<long long>(o.queued));
  const FillResult filled = fill(o, workload, agents.value(), o.queued);
  for (const std::string& s : filled.samples) {
    std::fprintf(stderr, "loyalty-bench: fill: error: %s\n", s.c_str());
  }
  auto clients = statusClients(agents.value());
  const std::optional<OutboxTotals> before = totals(clients);
  std::fprintf(stderr, "loyalty-bench: %lld queued in %.1f s (%.0f/s); outboxes hold %lld\n",
               static_cast<long long>(filled.queued), filled.seconds,
               filled.seconds > 0 ? static_cast<double>(filled.queued) / filled.seconds : 0.0,
               before ? static_cast<long long>(before->pending) : -1LL);
  const int64_t queued = before ? before->pending : filled.queued;

  // CPU time of the core, the agents and loyalty-bench itself during the drain.
  const std::vector<pid_t> agentProcesses = agentPids(servers.dir());
  const double coreCpu0 = cpuSeconds(corePid);
  const double agentCpu0 = cpuSeconds(agentProcesses);
  const double benchCpu0 = cpuSeconds(::getpid());

  // The core comes back; each agent's till calls identify (which also wakes its sender).
  (void)signalAndWait(corePid, SIGCONT);
  const Clock::time_point back = Clock::now();
  for (const Endpoint& e : agents.value()) {
    agent::Client till(agent::ClientOptions{e.host, e.port, o.timeoutMs, {}});
    const Call identify = workload.identify(0, 0, 1);
    (void)till.send(identify.method, identify.path, identify.body);
  }
  std::optional<Clock::time_point> first;
  std::optional<Clock::time_point> at10;
  std::optional<Clock::time_point> at90;
  std::optional<Clock::time_point> empty;
  OutboxTotals last;
  uint64_t pollErrors = 0;
  const auto deadline = back + std::chrono::seconds(std::max<int64_t>(120, o.queued / 100));
  while (Clock::now() < deadline) {
    const std::optional<OutboxTotals> now = totals(clients);
    const Clock::time_point t = Clock::now();
    if (!now) {
      ++pollErrors;
    } else {
      last = *now;
      const int64_t done = queued - now->pending;
      if (!first && done > 0) {
        first = t;
      }
      if (!at10 && done * 10 >= queued) {
        at10 = t;
      }
      if (!at90 && done * 10 >= queued * 9) {
        at90 = t;
      }
      if (now->pending == 0) {
        empty = t;
        break;
      }
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  const double coreCpu = cpuSeconds(corePid) - coreCpu0;
  const double agentCpu = cpuSeconds(agentProcesses) - agentCpu0;
  const double benchCpu = cpuSeconds(::getpid()) - benchCpu0;
  clients.clear();
  servers.stopAll();  // the core writes its last commits and exits; then count them
  const int64_t stored = storedSales(servers.dir() + "/core.db");

  const double drainS = empty ? secondsBetween(back, *empty) : secondsBetween(back, deadline);
  const double rate = empty && drainS > 0 ? static_cast<double>(queued) / drainS : 0.0;
  const double rate1090 = at10 && at90 && *at90 > *at10
                              ? 0.8 * static_cast<double>(queued) / secondsBetween(*at10, *at90)
                              : 0.0;
  const double firstMs = first ? secondsBetween(back, *first) * 1000 : -1;
  const int64_t missing = stored < 0 ? queued : std::abs(stored - queued);
  // The drain's errors: dead letters, sales the core did not store exactly once, and what was
  // still queued at the deadline (the fill's errors are reported apart).
  const uint64_t errors = static_cast<uint64_t>(last.deadLetters) + static_cast<uint64_t>(missing) +
                          static_cast<uint64_t>(empty ? 0 : std::max<int64_t>(last.pending, 1));
  const char* latencyNote =
      "per-sale delivery latency is not measured (the agent does not report it); with K "
      "deliveries in flight the mean is about K / throughput (Little's law)";

  if (o.json) {
    std::cout
        << "{\"scenario\":\"drain\",\"tills\":" << o.tills << ",\"agents\":" << count
        << ",\"lines\":" << o.lines << ",\"delivery_concurrency\":" << concurrencyJson(concurrency)
        << ",\"load_average\":\"" << load << "\",\"queued\":" << queued
        << ",\"queued_asked\":" << o.queued << ",\"delivered\":" << last.delivered
        << ",\"stored\":" << stored << ",\"dead_letters\":" << last.deadLetters
        << ",\"drained\":" << (empty ? "true" : "false") << ",\"duration_s\":" << number(drainS, 3)
        << ",\"throughput_per_s\":" << number(rate, 1)
        << ",\"throughput_10_90_per_s\":" << number(rate1090, 1)
        << ",\"first_delivery_ms\":" << (first ? number(firstMs, 1) : "null")
        << ",\"fill_s\":" << number(filled.seconds, 3) << ",\"fill_per_s\":"
        << number(filled.seconds > 0 ? static_cast<double>(filled.queued) / filled.seconds : 0.0, 1)
        << ",\"errors\":" << errors << ",\"fill_errors\":" << filled.errors
        << ",\"starved_connections\":" << filled.starved << ",\"status_poll_errors\":" << pollErrors
        << ",\"cpu_s\":{\"core\":" << number(coreCpu, 2) << ",\"agents\":" << number(agentCpu, 2)
        << ",\"bench\":" << number(benchCpu, 2) << "},\"latency_note\":\"" << latencyNote
        << "\"}\n";
    return kExitOk;
  }
  std::printf(
      "loyalty-bench: scenario drain, %d agent(s), delivery concurrency %s, %d tills "
      "filling, %s\n\n",
      count, concurrencyText(concurrency).c_str(), o.tills,
      o.lines > 0 ? (std::to_string(o.lines) + "-line baskets").c_str() : "TaFeng baskets");
  std::printf("queued             %lld sales in %.1f s (%.0f/s), %llu errors, %llu starved\n",
              static_cast<long long>(queued), filled.seconds,
              filled.seconds > 0 ? static_cast<double>(filled.queued) / filled.seconds : 0.0,
              static_cast<unsigned long long>(filled.errors),
              static_cast<unsigned long long>(filled.starved));
  if (empty) {
    std::printf("drained            in %.3f s from SIGCONT: %.1f sales/s\n", drainS, rate);
  } else {
    std::printf("NOT drained        %lld still pending after %.0f s\n",
                static_cast<long long>(last.pending), drainS);
  }
  std::printf("10%% to 90%%         %.1f sales/s\n", rate1090);
  std::printf("first delivery     %s\n",
              first ? (number(firstMs, 1) + " ms after SIGCONT").c_str() : "none");
  std::printf("delivered / stored %lld / %lld (%s)\n", static_cast<long long>(last.delivered),
              static_cast<long long>(stored),
              stored == queued ? "exactly the queued sales" : "NOT the queued sales");
  std::printf("dead letters       %lld\n", static_cast<long long>(last.deadLetters));
  std::printf("errors             %llu\n", static_cast<unsigned long long>(errors));
  std::printf(
      "CPU while draining core %.2f s, agents %.2f s, loyalty-bench %.2f s (%.0f, %.0f "
      "and %.0f us per sale)\n",
      coreCpu, agentCpu, benchCpu, queued > 0 ? coreCpu * 1e6 / queued : 0.0,
      queued > 0 ? agentCpu * 1e6 / queued : 0.0, queued > 0 ? benchCpu * 1e6 / queued : 0.0);
  std::printf("load average       %s (before the run)\n", load.c_str());
  std::printf("latency            %s\n", latencyNote);
  return kExitOk;
}

}  // namespace

int runOutage(const BenchOptions& o, const TaFengData& /*data*/, const Workload& workload) {
  const std::string name(scenarioName(o.scenario));
  if (o.core || !o.agentEndpoints.empty()) {
    std::cerr << "loyalty-bench: scenario " << name
              << " starts its own core and agents: --core does not apply\n";
    return kExitUsage;
  }
  if (o.tls) {
    std::cerr << "loyalty-bench: scenario " << name << " has no --tls yet\n";
    return kExitUsage;
  }
  auto concurrency = deliveryConcurrency();
  if (!concurrency) {
    std::cerr << "loyalty-bench: " << concurrency.error().message << "\n";
    return kExitUsage;
  }
  if (o.scenario == Scenario::kOffline) {
    return runOffline(o, workload, concurrency.value());
  }
  return runDrain(o, workload, concurrency.value());
}

}  // namespace loyalty::tools

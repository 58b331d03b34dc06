#include "loyalty-bench/tills_scenario.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>

#include "common/synthetic_catalogue.h"
#include "loyalty-bench/bench_report.h"
#include "loyalty-bench/event_client.h"
#include "loyalty-bench/fd_sampler.h"
#include "loyalty/agent/client.h"
#include "loyalty/protocol/json.h"

namespace loyalty::tools {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kStartDelay = std::chrono::milliseconds(300);  // for the client processes to start
constexpr auto kCoreSampleInterval = std::chrono::milliseconds(100);
constexpr const char* kChildError = "loyalty-bench-tills-error ";
constexpr const char* kSaleLabel = "identify+price+commit";

int64_t nsBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count();
}

int64_t microsBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration_cast<std::chrono::microseconds>(b - a).count();
}

// CPU seconds (user + system) of this process and of its waited-for children so far.
double ownCpuSeconds() {
  double total = 0;
  for (int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
    rusage u{};
    if (getrusage(who, &u) == 0) {
      total += static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
               static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
    }
  }
  return total;
}

// Raises RLIMIT_NOFILE's soft limit to the hard limit; returns the soft limit after.
int64_t raiseOpenFileLimit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) {
    return 1024;
  }
  if (lim.rlim_cur < lim.rlim_max) {
    rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) {
      lim = raised;
    }
  }
  return lim.rlim_cur == RLIM_INFINITY ? INT64_MAX : static_cast<int64_t>(lim.rlim_cur);
}

// The tills [first, last) of one client process, on one EventClient.
class TillsDriver {
 public:
  TillsDriver(const TillsSpec& spec, int first, int last, const std::vector<int64_t>& offsets,
              int64_t periodNs, Clock::time_point start, int64_t warmupNs, int64_t durationNs)
      : spec_(spec),
        first_(first),
        periodNs_(periodNs),
        start_(start),
        warmEnd_(start + std::chrono::nanoseconds(warmupNs)),
        end_(start + std::chrono::nanoseconds(durationNs)),
        warmupNs_(warmupNs),
        durationNs_(durationNs),
        tills_(static_cast<size_t>(last - first)) {
    for (size_t i = 0; i < tills_.size(); ++i) {
      tills_[i].offsetNs = offsets[static_cast<size_t>(first) + i];
    }
  }

  base::Result<TillsResult> run() {
    EventClientOptions options;
    options.host = spec_.core.host;
    options.port = spec_.core.port;
    options.slots = tills_.size();
    options.timeout = std::chrono::milliseconds(spec_.timeoutMs);
    options.sourceAddresses = tillsSourceAddresses(spec_.core.host, spec_.tills);
    auto created = EventClient::create(options);
    if (!created) {
      return created.error();
    }
    client_ = std::move(created).value();
    client_->setSeriesOrigin(start_);

    result_.tills = static_cast<int64_t>(tills_.size());
    for (size_t i = 0; i < tills_.size(); ++i) {
      Till& t = tills_[i];
      t.salesDue = salesDueIn(t.offsetNs, periodNs_, warmupNs_, durationNs_);
      result_.salesDue += t.salesDue;
      result_.warmupSales += salesDueIn(t.offsetNs, periodNs_, 0, warmupNs_);
      if (t.salesDue > 0) {
        ++result_.tillsMeasured;
      }
      scheduleNext(i);
    }
    client_->at(warmEnd_, [this] { closesAtWarmEnd_ = client_->serverCloses(); });
    client_->at(end_, [this] { closesAtEnd_ = client_->serverCloses(); });
    auto status = client_->run([this] { return done_ == tills_.size(); });
    if (!status.ok()) {
      return status.error();
    }
    for (const Till& t : tills_) {
      result_.tillsStarved += t.starved ? 1 : 0;
      result_.tillsNeverAnswered += t.salesDue > 0 && !t.answered ? 1 : 0;
    }
    const int64_t closesAtEnd = closesAtEnd_ >= 0 ? closesAtEnd_ : client_->serverCloses();
    result_.serverCloses = closesAtEnd - std::max<int64_t>(0, closesAtWarmEnd_);
    result_.runConnects = client_->connects();
    result_.openSockets = client_->openSocketSeries();
    client_.reset();  // closes the sockets
    return std::move(result_);
  }

 private:
  struct Till {
    int64_t offsetNs = 0;
    int64_t salesDue = 0;  // in the measured window
    int64_t k = 0;         // the sale in progress, or the next one
    size_t call = 0;
    std::vector<Call> calls;
    Clock::time_point due;
    Clock::time_point callStart;
    bool measured = false;
    bool starved = false;
    bool answered = false;  // a 2xx answer in the measured window
  };

  Clock::time_point dueOf(const Till& t, int64_t k) const {
    return start_ + std::chrono::nanoseconds(t.offsetNs + k * periodNs_);
  }

  void scheduleNext(size_t i) {
    Till& t = tills_[i];
    const Clock::time_point due = dueOf(t, t.k);
    if (due >= end_) {
      ++done_;
      return;
    }
    if (const Clock::time_point now = Clock::now(); now >= end_) {
      // Due before the end, but the till was busy with an earlier sale until after it. (A sale
      // whose timer merely fires after the end still starts: that delay is the client's.)
      result_.unsent += salesDueIn(t.offsetNs, periodNs_,
                                   std::max(warmupNs_, t.offsetNs + t.k * periodNs_),
                                   durationNs_);
      ++done_;
      return;
    }
    client_->at(due, [this, i] { startSale(i); });
  }

  void startSale(size_t i) {
    Till& t = tills_[i];
    t.due = dueOf(t, t.k);
    const Clock::time_point now = Clock::now();
    t.measured = t.due >= warmEnd_;
    if (t.measured) {
      result_.lag.add(microsBetween(t.due, now));
    }
    t.calls = spec_.makeSale(first_ + static_cast<int>(i), t.k);
    t.call = 0;
    sendCall(i);
  }

  void sendCall(size_t i) {
    Till& t = tills_[i];
    // Open loop: the first call from the sale's scheduled time, the others from their send.
    t.callStart = t.call == 0 ? t.due : Clock::now();
    client_->request(i, t.calls[t.call], [this, i](Exchange&& x) { onAnswer(i, std::move(x)); });
  }

  void onAnswer(size_t i, Exchange&& x) {
    Till& t = tills_[i];
    const Call& call = t.calls[t.call];
    const bool ok = x.outcome == ExchangeOutcome::kAnswered && x.status >= 200 && x.status < 300;
    const int64_t micros = microsBetween(t.callStart, x.finished);
    result_.noteSecond(static_cast<size_t>(std::max<int64_t>(0, nsBetween(start_, x.finished)) /
                                           1000000000),
                       ok, micros);
    if (t.measured) {
      result_.connects += x.connects;
      result_.reconnects += x.reconnects;
      result_.retries += x.retried ? 1 : 0;
      if (x.outcome == ExchangeOutcome::kConnectFailed) {
        ++result_.connectFailures;
      }
      if (x.connectMicros >= 0) {
        result_.connect.add(x.connectMicros);
      }
    }
    if (ok) {
      if (t.measured) {
        result_.calls.add(micros);
        result_.ops[call.op].add(micros);
        ++result_.answered;
        t.answered = true;
      }
      if (++t.call < t.calls.size()) {
        sendCall(i);
        return;
      }
      if (t.measured) {
        ++result_.sales;
        result_.sale.add(microsBetween(t.due, x.finished));
        noteFinish(x.finished);
      }
    } else if (t.measured) {
      ++result_.errors;
      ++result_.salesFailed;
      const bool noAnswer = x.outcome != ExchangeOutcome::kAnswered &&
                            x.outcome != ExchangeOutcome::kBadAnswer;
      if (noAnswer) {
        ++result_.starved;
        t.starved = true;
      }
      if (result_.errorSamples.size() < kTillsErrorSamples) {
        result_.errorSamples.push_back(
            std::string(call.op) + ": " +
            (x.outcome == ExchangeOutcome::kAnswered
                 ? "HTTP " + std::to_string(x.status) + " " + x.body.substr(0, 200)
                 : std::string(outcomeName(x.outcome)) + ": " + x.error));
      }
      noteFinish(x.finished);
    } else {
      ++result_.warmupErrors;
    }
    t.calls.clear();
    ++t.k;
    scheduleNext(i);
  }

  void noteFinish(Clock::time_point at) {
    const double seconds = static_cast<double>(nsBetween(start_, at)) / 1e9;
    result_.lastFinishS = std::max(result_.lastFinishS, seconds);
  }

  const TillsSpec& spec_;
  const int first_;
  const int64_t periodNs_;
  const Clock::time_point start_;
  const Clock::time_point warmEnd_;
  const Clock::time_point end_;
  const int64_t warmupNs_;
  const int64_t durationNs_;
  std::vector<Till> tills_;
  std::unique_ptr<EventClient> client_;
  size_t done_ = 0;
  int64_t closesAtWarmEnd_ = -1;
  int64_t closesAtEnd_ = -1;
  TillsResult result_;
};

bool writeAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    off += static_cast<size_t>(n);
  }
  return true;
}

std::string readAll(int fd) {
  std::string out;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return out;
    }
    out.append(buf, static_cast<size_t>(n));
  }
}

struct Child {
  pid_t pid = -1;
  int readFd = -1;
};

// Runs the tills split over `processes` forked client processes; merges their results.
base::Result<TillsResult> runForked(const TillsSpec& spec, int processes,
                                    const std::vector<int64_t>& offsets, int64_t periodNs,
                                    Clock::time_point start, int64_t warmupNs,
                                    int64_t durationNs, std::unique_ptr<FdSampler>& sampler) {
  std::vector<Child> children;
  std::fflush(nullptr);
  std::cout.flush();
  std::cerr.flush();
  for (int p = 0; p < processes; ++p) {
    const int first = static_cast<int>(static_cast<int64_t>(spec.tills) * p / processes);
    const int last = static_cast<int>(static_cast<int64_t>(spec.tills) * (p + 1) / processes);
    int fds[2];
    if (::pipe(fds) != 0) {
      for (const Child& c : children) {
        ::kill(c.pid, SIGKILL);
      }
      return base::makeError(base::ErrorCode::kInternal,
                             std::string("pipe: ") + std::strerror(errno));
    }
    const pid_t pid = ::fork();
    if (pid < 0) {
      ::close(fds[0]);
      ::close(fds[1]);
      for (const Child& c : children) {
        ::kill(c.pid, SIGKILL);
      }
      return base::makeError(base::ErrorCode::kInternal,
                             std::string("fork: ") + std::strerror(errno));
    }
    if (pid == 0) {
      // The child: its share of the tills, its result down the pipe, and out without running
      // the parent's destructors (the spawned core belongs to the parent).
      ::close(fds[0]);
      for (const Child& c : children) {
        ::close(c.readFd);
      }
      TillsDriver driver(spec, first, last, offsets, periodNs, start, warmupNs, durationNs);
      auto r = driver.run();
      const std::string text =
          r ? r->serialize() : std::string(kChildError) + r.error().message + "\n";
      const bool written = writeAll(fds[1], text);
      ::close(fds[1]);
      ::_exit(r && written ? 0 : 1);
    }
    ::close(fds[1]);
    children.push_back(Child{pid, fds[0]});
  }
  if (spec.corePid > 0) {
    sampler = std::make_unique<FdSampler>(spec.corePid, kCoreSampleInterval);
  }
  TillsResult merged;
  std::string failure;
  for (size_t p = 0; p < children.size(); ++p) {
    const std::string text = readAll(children[p].readFd);
    ::close(children[p].readFd);
    int status = 0;
    ::waitpid(children[p].pid, &status, 0);
    if (!failure.empty()) {
      continue;
    }
    if (text.rfind(kChildError, 0) == 0) {
      failure = "client process " + std::to_string(p) + ": " +
                text.substr(std::strlen(kChildError));
      continue;
    }
    auto parsed = TillsResult::parse(text);
    if (!parsed) {
      failure = "client process " + std::to_string(p) + " (exit status " +
                std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)) +
                "): " + parsed.error().message;
      continue;
    }
    merged.merge(parsed.value());
  }
  if (!failure.empty()) {
    while (!failure.empty() && failure.back() == '\n') {
      failure.pop_back();
    }
    return base::makeError(base::ErrorCode::kInternal, failure);
  }
  return merged;
}

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string ms(int64_t micros) { return fixed(static_cast<double>(micros) / 1000.0, 3); }

std::string latencyJson(const LatencyHistogram& h) {
  return "{\"p50\":" + ms(h.percentile(50)) + ",\"p90\":" + ms(h.percentile(90)) +
         ",\"p99\":" + ms(h.percentile(99)) + ",\"p999\":" + ms(h.percentile(99.9)) +
         ",\"max\":" + ms(h.max()) + "}";
}

std::string latencyLine(const LatencyHistogram& h) {
  return "p50 " + ms(h.percentile(50)) + ", p90 " + ms(h.percentile(90)) + ", p99 " +
         ms(h.percentile(99)) + ", p99.9 " + ms(h.percentile(99.9)) + ", max " + ms(h.max()) +
         " ms";
}

// [v0,v1,...], each divided by `unit` (1000: microseconds as milliseconds, 1 decimal).
std::string jsonArray(const std::vector<uint32_t>& v, uint32_t unit) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    out += i == 0 ? "" : ",";
    out += unit == 1 ? std::to_string(v[i]) : fixed(static_cast<double>(v[i]) / unit, 1);
  }
  return out + "]";
}

std::string optionalJson(const std::optional<int64_t>& v) {
  return v ? std::to_string(*v) : std::string("null");
}

BenchReport benchReportOf(const BenchOptions& o, const TillsRun& run) {
  BenchReport report;
  report.scenario = "tills";
  report.tills = o.tills;
  report.rate = o.rate;
  report.durationS = o.durationS;
  report.lines = o.lines;
  report.connection = "keep-alive, idle, reconnect";
  report.target = "core";
  PhaseResult& p = report.main;
  const TillsResult& r = run.result;
  p.label = kSaleLabel;
  p.wallS = run.wallS;
  p.answered = static_cast<uint64_t>(r.answered);
  p.errors = static_cast<uint64_t>(r.errors);
  p.starvedConnections = static_cast<uint64_t>(r.starved);
  p.tillsStarved = static_cast<uint64_t>(r.tillsStarved);
  p.tillsNeverAnswered = static_cast<uint64_t>(r.tillsNeverAnswered);
  p.unsent = static_cast<uint64_t>(r.unsent);
  p.latency = r.calls.histogram();
  for (const auto& [name, set] : r.ops) {
    p.ops[name] = set.histogram();
  }
  p.errorSamples = r.errorSamples;
  return report;
}


}  // namespace

std::vector<std::string> tillsSourceAddresses(const std::string& coreHost, int tills) {
  if (coreHost.rfind("127.", 0) != 0) {
    return {};
  }
  const int count = std::clamp((tills + kTillsPerSourceAddress - 1) / kTillsPerSourceAddress, 1,
                               250);
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) {
    out.push_back("127.0.0." + std::to_string(1 + i));
  }
  return out;
}

std::vector<int64_t> tillOffsetsNs(uint64_t seed, int tills, int64_t periodNs) {
  std::mt19937_64 rng(seed);
  std::vector<int64_t> out(static_cast<size_t>(std::max(0, tills)));
  for (int64_t& v : out) {
    // Modulo keeps the sequence the same with every standard library (the bias is negligible).
    v = static_cast<int64_t>(rng() % static_cast<uint64_t>(std::max<int64_t>(1, periodNs)));
  }
  return out;
}

int64_t salesDueIn(int64_t offsetNs, int64_t periodNs, int64_t fromNs, int64_t toNs) {
  // Sales k >= 0 with offset + k * period < x.
  auto before = [&](int64_t x) -> int64_t {
    return x <= offsetNs ? 0 : (x - offsetNs - 1) / periodNs + 1;
  };
  return toNs <= fromNs ? 0 : before(toNs) - before(fromNs);
}

base::Result<TillsRun> runTillsPhase(const TillsSpec& spec) {
  assert(spec.tills >= 1 && spec.rate > 0 && spec.durationS > 0 && spec.makeSale);
  TillsRun run;
  const int64_t periodNs = std::max<int64_t>(
      1, std::llround(std::min(1e9 * static_cast<double>(spec.tills) / spec.rate, 1e15)));
  const int64_t durationNs = std::llround(spec.durationS * 1e9);
  const int64_t warmupNs = durationNs >= 2 * periodNs ? periodNs : 0;
  run.periodS = static_cast<double>(periodNs) / 1e9;
  run.warmupS = static_cast<double>(warmupNs) / 1e9;
  run.measuredS = static_cast<double>(durationNs - warmupNs) / 1e9;

  run.clientFdLimit = raiseOpenFileLimit();
  int64_t perProcess = std::max<int64_t>(1, run.clientFdLimit - kTillsReservedFds);
  if (spec.maxTillsPerProcess > 0) {
    perProcess = std::min<int64_t>(perProcess, spec.maxTillsPerProcess);
  }
  run.processes = static_cast<int>((spec.tills + perProcess - 1) / perProcess);
  const std::vector<int64_t> offsets = tillOffsetsNs(spec.seed, spec.tills, periodNs);

  if (spec.corePid > 0) {
    // One scan: a connection closing between two scans would shift the baseline.
    if (const int64_t other = countNonSocketFds(spec.corePid); other >= 0) {
      run.coreFdBaseline = other + 1;  // its listening socket is not a client
    }
    if (const int64_t limit = openFileLimitOf(spec.corePid); limit >= 0) {
      run.coreFdLimit = limit;
    }
  }

  run.loadBefore = loadAverage();
  const double coreCpuBefore = spec.corePid > 0 ? cpuSecondsOf(spec.corePid) : -1;
  const double clientCpuBefore = ownCpuSeconds();
  const Clock::time_point start = Clock::now() + kStartDelay;
  std::unique_ptr<FdSampler> sampler;
  base::Result<TillsResult> result = TillsResult{};
  if (run.processes == 1) {
    if (spec.corePid > 0) {
      sampler = std::make_unique<FdSampler>(spec.corePid, kCoreSampleInterval);
    }
    TillsDriver driver(spec, 0, spec.tills, offsets, periodNs, start, warmupNs, durationNs);
    result = driver.run();
  } else {
    result = runForked(spec, run.processes, offsets, periodNs, start, warmupNs, durationNs,
                       sampler);
  }
  run.clientCpuS = ownCpuSeconds() - clientCpuBefore;
  if (const double after = spec.corePid > 0 ? cpuSecondsOf(spec.corePid) : -1;
      coreCpuBefore >= 0 && after >= 0) {
    run.coreCpuS = after - coreCpuBefore;
  }
  run.loadAfter = loadAverage();
  if (sampler) {
    sampler->stop();
    run.coreSamples = sampler->samples();
    if (sampler->peak() >= 0) {
      run.corePeakFds = sampler->peak();
      if (run.coreFdBaseline) {
        run.corePeakConnections = std::max<int64_t>(0, *run.corePeakFds - *run.coreFdBaseline);
      }
    }
  }
  if (!result) {
    return result.error();
  }
  run.result = std::move(result).value();
  run.wallS = std::max(run.measuredS, run.result.lastFinishS - run.warmupS);
  return run;
}

base::Result<Endpoint> startTillsCore(SpawnedServers& servers, const Workload& workload,
                                      int coreThreads, int keepAliveS) {
  servers.addCoreProperty("loyalty.core.http.keepAliveTimeoutS", std::to_string(keepAliveS));
  auto core = servers.startCore(coreThreads);
  if (!core) {
    return core.error();
  }
  auto token = benchAdminToken(core.value(), servers.adminPassword());
  if (!token) {
    return base::makeError(token.error().code, "admin login failed: " + token.error().message);
  }
  agent::Client admin(agent::ClientOptions{core->host, core->port, 60000, token.value()});
  auto imported = admin.importCatalogue(catalogueCsv(workload.itemIds()));
  if (!imported) {
    return base::makeError(imported.error().code,
                           "catalogue import failed: " + imported.error().message);
  }
  return core;
}

std::string formatTillsJson(const BenchOptions& o, const TillsRun& run, int keepAliveS) {
  const TillsResult& r = run.result;
  std::string out = formatReportJson(benchReportOf(o, run));
  out.pop_back();  // the closing brace
  const double salesPerS = run.wallS > 0 ? static_cast<double>(r.sales) / run.wallS : 0;
  out += ",\"sales\":" + std::to_string(r.sales) + ",\"sales_due\":" + std::to_string(r.salesDue) +
         ",\"sales_failed\":" + std::to_string(r.salesFailed) +
         ",\"sales_per_s\":" + fixed(salesPerS, 1) + ",\"period_s\":" + fixed(run.periodS, 3) +
         ",\"warmup_s\":" + fixed(run.warmupS, 3) + ",\"measured_s\":" + fixed(run.measuredS, 3) +
         ",\"sale_latency_ms\":" + latencyJson(r.sale.histogram()) +
         ",\"connects\":" + std::to_string(r.connects) +
         ",\"reconnects\":" + std::to_string(r.reconnects) +
         ",\"connect_failures\":" + std::to_string(r.connectFailures) +
         ",\"retries\":" + std::to_string(r.retries) +
         ",\"server_closes\":" + std::to_string(r.serverCloses) +
         ",\"connect_latency_ms\":" + latencyJson(r.connect.histogram()) +
         ",\"client_lag_ms\":" + latencyJson(r.lag.histogram()) +
         ",\"peak_core_connections\":" + optionalJson(run.corePeakConnections) +
         ",\"peak_core_fds\":" + optionalJson(run.corePeakFds) +
         ",\"core_fd_baseline\":" + optionalJson(run.coreFdBaseline) +
         ",\"core_fd_limit\":" + optionalJson(run.coreFdLimit) +
         ",\"peak_client_connections\":" + std::to_string(r.peakOpenSockets()) +
         ",\"client_processes\":" + std::to_string(run.processes) +
         ",\"client_fd_limit\":" + std::to_string(run.clientFdLimit) +
         ",\"keep_alive_s\":" + (keepAliveS > 0 ? std::to_string(keepAliveS) : "null") +
         ",\"warmup\":{\"sales\":" + std::to_string(r.warmupSales) +
         ",\"errors\":" + std::to_string(r.warmupErrors) +
         "},\"run_connects\":" + std::to_string(r.runConnects) +
         ",\"core_cpu_s\":" + (run.coreCpuS ? fixed(*run.coreCpuS, 2) : std::string("null")) +
         ",\"client_cpu_s\":" + fixed(run.clientCpuS, 2) +
         ",\"load_average\":{\"before\":" + fixed(run.loadBefore, 2) +
         ",\"after\":" + fixed(run.loadAfter, 2) + "},\"timeline\":{\"answered\":" +
         jsonArray(r.secondAnswered, 1) + ",\"errors\":" + jsonArray(r.secondErrors, 1) +
         ",\"max_ms\":" + jsonArray(r.secondMaxMicros, 1000) + "}}";
  return out;
}

std::string formatTillsTable(const BenchOptions& o, const TillsRun& run, int keepAliveS) {
  const TillsResult& r = run.result;
  std::ostringstream out;
  out << formatReportTable(benchReportOf(o, run));
  const double salesPerS = run.wallS > 0 ? static_cast<double>(r.sales) / run.wallS : 0;
  out << "\nsales: " << r.sales << " answered of " << r.salesDue << " due in the measured window ("
      << fixed(run.measuredS, 1) << " s after a " << fixed(run.warmupS, 1)
      << " s warm-up; a sale every " << fixed(run.periodS, 2) << " s per till), "
      << fixed(salesPerS, 1) << " sales/s; failed " << r.salesFailed << ", unsent " << r.unsent
      << "\n";
  out << "sale (scheduled time -> commit answered): " << latencyLine(r.sale.histogram()) << "\n";
  out << "connects " << r.connects << " (reconnects " << r.reconnects << ", failed "
      << r.connectFailures << "), retries " << r.retries
      << ", idle connections closed by the core " << r.serverCloses << "\n";
  out << "connect: " << latencyLine(r.connect.histogram()) << "\n";
  out << "client lag (sale started after its time): " << latencyLine(r.lag.histogram()) << "\n";
  size_t worst = 0;
  for (size_t i = 1; i < r.secondMaxMicros.size(); ++i) {
    worst = r.secondMaxMicros[i] > r.secondMaxMicros[worst] ? i : worst;
  }
  if (!r.secondMaxMicros.empty()) {
    out << "slowest second: " << worst << "-" << worst + 1 << " s after the start, longest call "
        << ms(r.secondMaxMicros[worst]) << " ms, " << r.secondAnswered[worst] << " answers, "
        << r.secondErrors[worst] << " failed calls\n";
  }
  out << "peak open connections: core ";
  if (run.corePeakConnections) {
    out << *run.corePeakConnections << " (peak " << *run.corePeakFds << " descriptors, "
        << *run.coreFdBaseline << " of them not connections; open-file limit "
        << optionalJson(run.coreFdLimit) << ")";
  } else {
    out << "not sampled (not started here)";
  }
  out << ", client " << r.peakOpenSockets() << " (" << run.processes << " process"
      << (run.processes == 1 ? "" : "es") << ", open-file limit " << run.clientFdLimit
      << " each)\n";
  out << "core keep-alive timeout: "
      << (keepAliveS > 0 ? std::to_string(keepAliveS) + " s" : std::string("unknown")) << "\n";
  out << "warm-up (not measured): " << r.warmupSales << " sales, " << r.warmupErrors
      << " errors\n";
  out << "CPU during the run: core "
      << (run.coreCpuS ? fixed(*run.coreCpuS, 1) + " s" : std::string("not sampled"))
      << ", client " << fixed(run.clientCpuS, 1) << " s; load average " << fixed(run.loadBefore, 2)
      << " before, " << fixed(run.loadAfter, 2) << " after\n";
  return out.str();
}

int runTills(const BenchOptions& o, const TaFengData& data, const Workload& workload) {
  (void)data;
  if (o.tls) {
    std::cerr << "loyalty-bench: scenario tills speaks plain HTTP only (no --tls)\n";
    return 1;
  }
  std::unique_ptr<SpawnedServers> servers;
  Endpoint core;
  pid_t corePid = 0;
  int keepAliveS = 0;
  if (o.core) {
    core = *o.core;
  } else {
    auto created = SpawnedServers::create();
    if (!created) {
      std::cerr << "loyalty-bench: " << created.error().message << "\n";
      return 1;
    }
    servers = std::move(created).value();
    auto started = startTillsCore(*servers, workload, o.coreThreads, kTillsKeepAliveS);
    if (!started) {
      std::cerr << "loyalty-bench: " << started.error().message << "\n";
      return 1;
    }
    core = started.value();
    corePid = servers->corePid();
    keepAliveS = kTillsKeepAliveS;
    std::fprintf(stderr,
                 "loyalty-bench: loyalty-core on %s (%s), keep-alive %d s, %zu products "
                 "imported\n",
                 core.str().c_str(), servers->dir().c_str(), keepAliveS,
                 workload.itemIds().size());
  }
  TillsSpec spec;
  spec.core = core;
  spec.tills = o.tills;
  spec.rate = o.rate;
  spec.durationS = o.durationS;
  spec.timeoutMs = o.timeoutMs;
  spec.seed = o.seed;
  spec.corePid = corePid;
  const Workload* w = &workload;
  const int tills = o.tills;
  spec.makeSale = [w, tills](int t, int64_t k) {
    return std::vector<Call>{w->identify(t, k, tills), w->price(t, k, tills),
                             w->commit(t, k, tills)};
  };
  const double periodS = static_cast<double>(o.tills) / o.rate;
  std::fprintf(stderr,
               "loyalty-bench: %d tills at %.1f sales/s: a sale every %.2f s per till, %.1f s "
               "(%s)\n",
               o.tills, o.rate, periodS, o.durationS,
               o.durationS >= 2 * periodS ? "the first period is a warm-up"
                                          : "no warm-up: shorter than two periods");
  auto run = runTillsPhase(spec);
  if (!run) {
    std::cerr << "loyalty-bench: scenario tills: " << run.error().message << "\n";
    return 1;
  }
  if (o.json) {
    for (const auto& e : run->result.errorSamples) {
      std::fprintf(stderr, "loyalty-bench: error: %s\n", e.c_str());
    }
    std::cout << formatTillsJson(o, run.value(), keepAliveS) << "\n";
  } else {
    std::cout << formatTillsTable(o, run.value(), keepAliveS);
  }
  return 0;
}

}  // namespace loyalty::tools

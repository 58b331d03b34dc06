#include "loyalty-bench/runner.h"

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "loyalty-bench/open_loop.h"
#include "loyalty/agent/client.h"

namespace loyalty::tools {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMaxErrorSamples = 5;

int64_t microsBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration_cast<std::chrono::microseconds>(b - a).count();
}

void noteError(PhaseResult& r, const std::string& message) {
  ++r.errors;
  if (r.errorSamples.size() < kMaxErrorSamples) {
    r.errorSamples.push_back(message);
  }
}

void runTill(const PhaseSpec& spec, int till, Clock::time_point start, Clock::time_point end,
             PhaseResult& out) {
  const Endpoint& endpoint = spec.endpoints[static_cast<size_t>(till) % spec.endpoints.size()];
  agent::ClientOptions clientOptions{endpoint.host, endpoint.port, spec.timeoutMs, {}};
  clientOptions.tls = spec.tls;
  std::unique_ptr<agent::Client> keepAlive;
  if (!spec.newConnectionPerRequest) {
    keepAlive = std::make_unique<agent::Client>(clientOptions);
  }
  std::unique_ptr<OpenLoopSchedule> schedule;
  if (spec.rate > 0) {
    schedule = std::make_unique<OpenLoopSchedule>(spec.rate, spec.tills, till);
  }

  bool answeredOnce = false;
  int64_t k = 0;
  for (;; ++k) {
    Clock::time_point sendAt = Clock::now();
    if (sendAt >= end) {
      break;
    }
    if (schedule) {
      const Clock::time_point due = start + std::chrono::nanoseconds(schedule->dueNs(k));
      if (due >= end) {
        break;
      }
      if (due > sendAt) {
        std::this_thread::sleep_until(due);
      }
      sendAt = due;
    }
    const std::vector<Call> calls = spec.makeCalls(till, k);
    for (size_t i = 0; i < calls.size(); ++i) {
      const Call& call = calls[i];
      const Clock::time_point from = i == 0 ? sendAt : Clock::now();
      std::unique_ptr<agent::Client> fresh;
      agent::Client* client = keepAlive.get();
      if (client == nullptr) {
        fresh = std::make_unique<agent::Client>(clientOptions);
        client = fresh.get();
      }
      auto answer = client->send(call.method, call.path, call.body);
      const Clock::time_point done = Clock::now();
      if (!answer) {
        // No answer at all on this connection: the connection starved (or was refused).
        ++out.starvedConnections;
        noteError(out, std::string(call.op) + ": " + answer.error().message);
        break;
      }
      if (answer->status < 200 || answer->status > 299) {
        noteError(out, std::string(call.op) + ": HTTP " + std::to_string(answer->status) + " " +
                           answer->body.substr(0, 200));
        break;
      }
      const bool byAgent = answer->body.find("\"offline\":true") != std::string::npos ||
                           answer->body.find("\"status\":\"queued\"") != std::string::npos;
      if (byAgent != spec.expectAgentAnswers) {
        // A pos-agent that got no answer from the core in its budget answers by itself.
        noteError(out, std::string(call.op) + (byAgent ? ": the agent answered offline"
                                                        : ": answered by the core, not offline"));
        break;
      }
      answeredOnce = true;
      const int64_t micros = microsBetween(from, done);
      out.latency.add(micros);
      out.ops[call.op].add(micros);
      ++out.answered;
    }
  }
  if (schedule) {
    const int64_t due = schedule->dueBefore(
        std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count());
    out.unsent = due > k ? static_cast<uint64_t>(due - k) : 0;
  }
  out.tillsStarved = out.starvedConnections > 0 ? 1 : 0;
  out.tillsNeverAnswered = answeredOnce ? 0 : 1;
}

}  // namespace

PhaseResult runPhase(const PhaseSpec& spec) {
  std::vector<PhaseResult> perTill(static_cast<size_t>(spec.tills));
  std::mutex mutex;
  std::condition_variable cv;
  int ready = 0;
  bool go = false;
  Clock::time_point start;
  Clock::time_point end;

  std::vector<std::thread> threads;
  threads.reserve(perTill.size());
  for (int t = 0; t < spec.tills; ++t) {
    threads.emplace_back([&, t] {
      Clock::time_point s;
      Clock::time_point e;
      {
        std::unique_lock<std::mutex> lock(mutex);
        ++ready;
        cv.notify_all();
        cv.wait(lock, [&] { return go; });
        s = start;
        e = end;
      }
      runTill(spec, t, s, e, perTill[static_cast<size_t>(t)]);
    });
  }
  {
    std::unique_lock<std::mutex> lock(mutex);
    cv.wait(lock, [&] { return ready == spec.tills; });
    start = Clock::now();
    end = start + std::chrono::nanoseconds(static_cast<int64_t>(spec.durationS * 1e9));
    go = true;
  }
  cv.notify_all();
  for (auto& th : threads) {
    th.join();
  }
  const double wallS = std::chrono::duration<double>(Clock::now() - start).count();

  PhaseResult total;
  total.label = spec.label;
  for (const auto& r : perTill) {
    total.merge(r);
  }
  total.wallS = wallS;
  return total;
}

}  // namespace loyalty::tools

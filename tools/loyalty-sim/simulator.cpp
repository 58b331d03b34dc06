#include "loyalty-sim/simulator.h"

#include <algorithm>
#include <cassert>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>
#include <utility>

#include "common/synthetic_catalogue.h"
#include "loyalty/protocol/errors.h"

namespace loyalty::tools {
namespace {

using Clock = std::chrono::steady_clock;

constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ULL;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string twoDigits(int n) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d", n);
  return buf;
}

}  // namespace

std::vector<size_t> chooseShoppers(size_t population, size_t count, uint64_t seed) {
  assert(count <= population);
  std::vector<size_t> order(population);
  for (size_t i = 0; i < population; ++i) {
    order[i] = i;
  }
  uint64_t state = seed;
  for (size_t k = 0; k < count; ++k) {
    // splitmix64(state) mixes state + kGolden: the generator's next output.
    const uint64_t r = splitmix64(state);
    state += kGolden;
    const size_t pick = k + static_cast<size_t>(r % (population - k));
    std::swap(order[k], order[pick]);
  }
  order.resize(count);
  return order;
}

std::vector<Visit> planVisits(const TaFengData& data, const std::vector<size_t>& chosen,
                              int64_t visitsPerShopper) {
  std::vector<Visit> visits;
  for (int64_t round = 0; round < visitsPerShopper; ++round) {
    const auto b = static_cast<size_t>(round);
    for (size_t s : chosen) {
      if (b < data.shoppers[s].baskets.size()) {
        visits.push_back(Visit{s, b});
      }
    }
  }
  return visits;
}

std::string terminalId(int lane) { return "T" + twoDigits(lane + 1); }

std::string txnNumber(const std::string& runId, int lane, int64_t seq) {
  return runId + "-" + twoDigits(lane + 1) + "-" + std::to_string(seq);
}

const char* callName(Call call) {
  switch (call) {
    case Call::kIdentify:
      return "identify";
    case Call::kPrice:
      return "price";
    case Call::kCommit:
      return "commit";
  }
  return "?";
}

struct StoreDay::LaneResult {
  int64_t committed = 0;
  int64_t queued = 0;
  base::Points points;
  std::map<std::string, std::map<std::string, int64_t>> errorsByCall;
  LatencyStats identify;
  LatencyStats price;
  LatencyStats commit;

  void error(Call call, const std::string& code) { ++errorsByCall[callName(call)][code]; }
};

StoreDay::StoreDay(const TaFengData& data, std::vector<Visit> visits, int64_t shoppers,
                   DayConfig config, TillFactory factory)
    : data_(data),
      visits_(std::move(visits)),
      shoppers_(shoppers),
      config_(std::move(config)),
      factory_(std::move(factory)) {
  assert(!config_.agents.empty() && config_.lanes >= 1);
}

void StoreDay::ringUp(int lane, int64_t seq, const Visit& visit, TillConnection& till,
                      LaneResult& out) {
  const Shopper& shopper = data_.shoppers[visit.shopper];
  const std::string card = cardOf(shopper.userId);
  protocol::TransactionKey key;
  key.store = config_.store;
  key.terminal = terminalId(lane);
  key.businessDate = config_.businessDate;
  key.txn = txnNumber(config_.runId, lane, seq);

  // Times one call in microseconds and counts its error, if any.
  auto timed = [&out](Call call, LatencyStats& stats, auto&& fn) {
    const auto t0 = Clock::now();
    auto result = fn();
    const auto us =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
    stats.add(static_cast<int64_t>(us));
    if (!result) {
      out.error(call, std::string(protocol::codeName(result.error().code)));
    }
    return result;
  };

  protocol::IdentifyRequest identify;
  identify.card = card;
  identify.store = key.store;
  identify.terminal = key.terminal;
  (void)timed(Call::kIdentify, out.identify, [&] { return till.identify(identify); });

  std::vector<protocol::BasketLine> lines =
      basketLines(shopper.userId, visit.basket, shopper.baskets[visit.basket]);
  const base::Money total = basketTotal(lines);

  protocol::PriceRequest price;
  price.key = key;
  price.card = card;
  price.lines = lines;
  (void)timed(Call::kPrice, out.price, [&] { return till.price(price); });

  protocol::CommitRequest commit;
  commit.key = key;
  commit.card = card;
  commit.lines = std::move(lines);
  commit.tenders.push_back(protocol::Tender{"card", total});
  auto answer = timed(Call::kCommit, out.commit, [&] { return till.commit(commit); });
  if (!answer) {
    return;
  }
  if (answer->status == protocol::kStatusCommitted) {
    ++out.committed;
    out.points += answer->pointsEarned.value_or(base::Points(0));
  } else if (answer->status == protocol::kStatusQueued) {
    ++out.queued;
  } else {
    out.error(Call::kCommit, "unexpected_status");
  }
}

void StoreDay::runLane(int lane, TillConnection& till, Clock::time_point start, LaneResult& out) {
  const auto lanes = static_cast<size_t>(config_.lanes);
  int64_t seq = 0;
  for (size_t j = static_cast<size_t>(lane); j < visits_.size(); j += lanes) {
    ++seq;
    if (config_.pace > 0) {
      const auto due =
          start + std::chrono::duration_cast<Clock::duration>(
                      std::chrono::duration<double>(static_cast<double>(j) / config_.pace));
      std::this_thread::sleep_until(due);
    }
    try {
      ringUp(lane, seq, visits_[j], till, out);
    } catch (...) {
      // Nothing should throw here; if something does, count it and keep the lane going.
      out.error(Call::kCommit, std::string(protocol::codeName(base::ErrorCode::kInternal)));
    }
    done_.fetch_add(1);
  }
}

DaySummary StoreDay::run(const ProgressFn& progress, std::chrono::milliseconds progressInterval) {
  const int lanes = config_.lanes;
  std::vector<TillConnectionPtr> tills;
  tills.reserve(static_cast<size_t>(lanes));
  for (int l = 0; l < lanes; ++l) {
    tills.push_back(factory_(config_.agents[static_cast<size_t>(l) % config_.agents.size()]));
  }
  std::vector<LaneResult> results(static_cast<size_t>(lanes));

  std::mutex mu;
  std::condition_variable cv;
  int running = lanes;
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(lanes));
  for (int l = 0; l < lanes; ++l) {
    threads.emplace_back([&, l] {
      runLane(l, *tills[static_cast<size_t>(l)], start, results[static_cast<size_t>(l)]);
      std::lock_guard<std::mutex> lock(mu);
      --running;
      cv.notify_all();
    });
  }
  const auto total = static_cast<int64_t>(visits_.size());
  {
    std::unique_lock<std::mutex> lock(mu);
    while (!cv.wait_for(lock, progressInterval, [&] { return running == 0; })) {
      if (progress) {
        lock.unlock();
        progress(done_.load(), total, secondsSince(start));
        lock.lock();
      }
    }
  }
  for (auto& t : threads) {
    t.join();
  }
  const double wall = secondsSince(start);

  DaySummary s;
  s.shoppers = shoppers_;
  s.visits = done_.load();
  if (!visits_.empty()) {
    s.sampleCard = cardOf(data_.shoppers[visits_.front().shopper].userId);
  }
  LatencyStats identify;
  LatencyStats price;
  LatencyStats commit;
  for (const LaneResult& r : results) {
    s.committed += r.committed;
    s.queued += r.queued;
    s.pointsAwarded += r.points;
    for (const auto& [call, codes] : r.errorsByCall) {
      for (const auto& [code, n] : codes) {
        s.errorsByCall[call][code] += n;
        s.errors[code] += n;
      }
    }
    identify.merge(r.identify);
    price.merge(r.price);
    commit.merge(r.commit);
  }
  s.identify = identify.summary();
  s.price = price.summary();
  s.commit = commit.summary();
  s.wallS = wall;
  s.visitsPerS = wall > 0 ? static_cast<double>(s.visits) / wall : 0;
  return s;
}

DrainResult drainAgents(const std::vector<Endpoint>& agents, const TillFactory& factory,
                        std::chrono::milliseconds timeout, std::chrono::milliseconds pollInterval,
                        const DrainProgressFn& progress,
                        std::chrono::milliseconds progressInterval) {
  DrainResult result;
  std::vector<TillConnectionPtr> conns;
  for (const Endpoint& e : agents) {
    AgentDrainState state;
    state.endpoint = e;
    result.agents.push_back(state);
    conns.push_back(factory(e));
  }
  const auto start = Clock::now();
  const auto deadline = start + timeout;
  auto nextProgress = start + progressInterval;
  while (true) {
    bool allDrained = true;
    result.pending = 0;
    for (size_t i = 0; i < conns.size(); ++i) {
      AgentDrainState& st = result.agents[i];
      if (!st.isAgent) {
        continue;
      }
      auto status = conns[i]->agentStatus();
      if (status) {
        st.reachable = true;
        st.pending = status->outboxPending;
        st.delivered = status->delivered;
        st.deadLetters = status->deadLetters;
      } else if (status.error().code == base::ErrorCode::kNotFound ||
                 status.error().code == base::ErrorCode::kMethodNotAllowed) {
        st.isAgent = false;
        st.reachable = true;
        st.pending = 0;
        continue;
      } else {
        st.reachable = false;  // keep the last known counts
      }
      result.pending += st.pending;
      allDrained = allDrained && st.reachable && st.pending == 0;
    }
    result.drained = allDrained;
    const auto now = Clock::now();
    if (allDrained || now >= deadline) {
      break;
    }
    if (progress && now >= nextProgress) {
      progress(result.pending, secondsSince(start));
      nextProgress = now + progressInterval;
    }
    std::this_thread::sleep_until(std::min(now + pollInterval, deadline));
  }
  return result;
}

base::Status checkReachable(const std::vector<Endpoint>& agents, const TillFactory& factory) {
  for (const Endpoint& e : agents) {
    auto conn = factory(e);
    auto status = conn->agentStatus();
    if (!status && (status.error().code == base::ErrorCode::kUnavailable ||
                    status.error().code == base::ErrorCode::kTimeout)) {
      return base::makeError(base::ErrorCode::kUnavailable,
                             "cannot reach " + e.str() + ": " + status.error().message);
    }
  }
  return base::okStatus();
}

}  // namespace loyalty::tools

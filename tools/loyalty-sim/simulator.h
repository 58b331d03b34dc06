// The simulated store day of loyalty-sim: which shoppers come, which baskets they bring, and the
// lanes (tills) that ring them up through a pos-agent, then the wait for the agents' outboxes.
//
// Plan (deterministic for a given data set, shopper count, seed and visits per shopper):
//   - chooseShoppers(): a partial Fisher-Yates shuffle of the shopper indexes 0..population-1
//     driven by SplitMix64 (state starts at the seed; each draw adds 0x9E3779B97F4A7C15 to the
//     state and mixes it, see synthetic_catalogue.h); draw k picks position k + r % (population-k).
//     The first `count` positions, in draw order, are the chosen shoppers.
//   - planVisits(): round 0 is every chosen shopper's basket 0 in chosen order, round 1 their
//     basket 1 (shoppers with fewer baskets drop out), ... up to visitsPerShopper rounds.
//   - Visit j is rung up by lane j % lanes, which talks to agents[lane % agents.size()].
//     Lane l (0-based) is terminal "T" + two-digit (l + 1); its k-th visit (1-based) has the
//     transaction number "<run-id>-<two-digit l + 1>-<k>".
//   - With a pace R > 0, visit j does not start before start + j / R seconds.
// A visit is identify(card) -> price(basket) -> commit(basket, one "card" tender of the basket
// total), price and commit with the same transaction key. A failed call is counted and the visit
// goes on (a till never blocks a sale); a failed commit ends the visit.
//
// Thread safety: StoreDay::run() starts one thread per lane, each with its own TillConnection from
// the factory; the factory itself must be callable from the run() thread only. visitsDone() may
// be read from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/endpoint.h"
#include "common/tafeng.h"
#include "loyalty-sim/latency_stats.h"
#include "loyalty/base/result.h"
#include "loyalty/protocol/messages.h"

namespace loyalty::tools {

// What a lane needs from an agent (or the core). Implemented over agent::Client by the tool and
// by fakes in the tests.
class TillConnection {
 public:
  virtual ~TillConnection() = default;
  virtual base::Result<protocol::IdentifyResponse> identify(
      const protocol::IdentifyRequest& request) = 0;
  virtual base::Result<protocol::PriceResponse> price(const protocol::PriceRequest& request) = 0;
  virtual base::Result<protocol::CommitResponse> commit(const protocol::CommitRequest& request) = 0;
  virtual base::Result<protocol::AgentStatus> agentStatus() = 0;
};
using TillConnectionPtr = std::unique_ptr<TillConnection>;
using TillFactory = std::function<TillConnectionPtr(const Endpoint&)>;

struct Visit {
  size_t shopper = 0;  // index into TaFengData::shoppers
  size_t basket = 0;   // index into that shopper's baskets
};

// Requires: count <= population.
std::vector<size_t> chooseShoppers(size_t population, size_t count, uint64_t seed);
std::vector<Visit> planVisits(const TaFengData& data, const std::vector<size_t>& chosen,
                              int64_t visitsPerShopper);

std::string terminalId(int lane);  // lane is 0-based: 0 -> "T01"
std::string txnNumber(const std::string& runId, int lane, int64_t seq);  // seq is 1-based

struct DayConfig {
  std::vector<Endpoint> agents;  // non-empty
  int lanes = 4;                 // >= 1
  std::string store = "S001";
  std::string businessDate;
  std::string runId;
  double pace = 0;
};

enum class Call { kIdentify, kPrice, kCommit };
const char* callName(Call call);

struct DaySummary {
  int64_t shoppers = 0;
  int64_t visits = 0;          // visits rung up (all of the plan)
  int64_t committed = 0;       // commits answered "committed"
  int64_t queued = 0;          // commits answered "queued" (provisional receipt)
  base::Points pointsAwarded;  // sum of points_earned of the committed answers
  // Errors by wire code name (e.g. "unavailable"; "unexpected_status" for a commit answer that
  // is neither committed nor queued), and by call then code.
  std::map<std::string, int64_t> errors;
  std::map<std::string, std::map<std::string, int64_t>> errorsByCall;
  LatencySummary identify;
  LatencySummary price;
  LatencySummary commit;
  double wallS = 0;
  double visitsPerS = 0;
  std::string sampleCard;  // the card of the first visit's shopper, to look up afterwards
};

// Called about every progressInterval while the day runs, from the run() thread.
using ProgressFn = std::function<void(int64_t done, int64_t total, double elapsedS)>;

class StoreDay {
 public:
  StoreDay(const TaFengData& data, std::vector<Visit> visits, int64_t shoppers, DayConfig config,
           TillFactory factory);
  StoreDay(const StoreDay&) = delete;
  StoreDay& operator=(const StoreDay&) = delete;

  // Rings up every planned visit and returns the totals. Requires: called once.
  DaySummary run(const ProgressFn& progress = nullptr,
                 std::chrono::milliseconds progressInterval = std::chrono::seconds(2));
  int64_t visitsDone() const { return done_.load(); }

 private:
  struct LaneResult;
  void runLane(int lane, TillConnection& till, std::chrono::steady_clock::time_point start,
               LaneResult& out);
  void ringUp(int lane, int64_t seq, const Visit& visit, TillConnection& till, LaneResult& out);

  const TaFengData& data_;
  const std::vector<Visit> visits_;
  const int64_t shoppers_;
  const DayConfig config_;
  const TillFactory factory_;
  std::atomic<int64_t> done_{0};
};

// The outboxes after the day.
struct AgentDrainState {
  Endpoint endpoint;
  bool isAgent = true;     // false when the endpoint has no /v1/agent/status (the core itself)
  bool reachable = false;  // the last status call was answered
  int64_t pending = 0;
  int64_t delivered = 0;
  int64_t deadLetters = 0;
};

struct DrainResult {
  bool drained = false;  // every agent answered with nothing pending
  int64_t pending = 0;   // sum over agents of the last known outbox_pending
  std::vector<AgentDrainState> agents;
};

using DrainProgressFn = std::function<void(int64_t pending, double elapsedS)>;

// Polls every agent's status every pollInterval until all report outbox_pending == 0 or the
// timeout passes (always polls at least once). An endpoint that answers not_found or
// method_not_allowed is not an agent and counts as drained.
DrainResult drainAgents(const std::vector<Endpoint>& agents, const TillFactory& factory,
                        std::chrono::milliseconds timeout, std::chrono::milliseconds pollInterval,
                        const DrainProgressFn& progress = nullptr,
                        std::chrono::milliseconds progressInterval = std::chrono::seconds(2));

// Asks each endpoint for its status once. Refuses (kUnavailable, naming the endpoint) when one
// does not answer at all; any HTTP answer, even an error, counts as reachable.
base::Status checkReachable(const std::vector<Endpoint>& agents, const TillFactory& factory);

}  // namespace loyalty::tools

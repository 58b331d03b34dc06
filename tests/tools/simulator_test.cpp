// Tests of loyalty-sim's engine (tools/loyalty-sim/simulator.h) with fake tills: the plan, the
// requests each lane sends, the counting of answers and errors, and the outbox drain.
#include "loyalty-sim/simulator.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <mutex>
#include <set>

#include "common/synthetic_catalogue.h"
#include "loyalty/protocol/card.h"

namespace loyalty::tools {
namespace {

using base::ErrorCode;

TaFengData smallData() {
  TaFengData d;
  d.shoppers = {
      {1, {{0, 1, 2}, {3}, {4, 5}}},
      {2, {{6}, {7, 8}}},
      {5, {{9}}},
      {9, {{1, 9}, {2}, {3}, {4}}},
  };
  return d;
}

TEST_CASE("Simulator: shopper choice is a seeded partial shuffle", "[tools]") {
  // Pinned: computed independently from the documented algorithm.
  CHECK(chooseShoppers(10, 4, 42) == std::vector<size_t>{3, 2, 4, 5});
  CHECK(chooseShoppers(13'858, 5, 42) == std::vector<size_t>{9057, 11561, 13300, 11262, 2252});

  const auto a = chooseShoppers(1000, 500, 7);
  CHECK(a == chooseShoppers(1000, 500, 7));
  CHECK(a != chooseShoppers(1000, 500, 8));
  CHECK(std::set<size_t>(a.begin(), a.end()).size() == 500);
  CHECK(*std::max_element(a.begin(), a.end()) < 1000);

  auto all = chooseShoppers(50, 50, 1);
  std::sort(all.begin(), all.end());
  for (size_t i = 0; i < all.size(); ++i) {
    REQUIRE(all[i] == i);
  }
  CHECK(chooseShoppers(5, 0, 1).empty());
}

TEST_CASE("Simulator: visits come in rounds of baskets, in order", "[tools]") {
  const TaFengData d = smallData();
  const std::vector<size_t> chosen = {3, 2, 0};
  const auto visits = planVisits(d, chosen, 2);
  // Round 0: baskets 0 of shoppers 3, 2, 0; round 1: basket 1 of shoppers 3 and 0 (2 has one).
  const std::vector<std::pair<size_t, size_t>> want = {{3, 0}, {2, 0}, {0, 0}, {3, 1}, {0, 1}};
  REQUIRE(visits.size() == want.size());
  for (size_t k = 0; k < want.size(); ++k) {
    CHECK(visits[k].shopper == want[k].first);
    CHECK(visits[k].basket == want[k].second);
  }
  CHECK(planVisits(d, chosen, 10).size() == 4 + 1 + 3);
}

TEST_CASE("Simulator: terminal ids and transaction numbers", "[tools]") {
  CHECK(terminalId(0) == "T01");
  CHECK(terminalId(11) == "T12");
  CHECK(terminalId(255) == "T256");
  CHECK(txnNumber("101500", 0, 1) == "101500-01-1");
  CHECK(txnNumber("r", 9, 12345) == "r-10-12345");
}

// Everything the fake tills saw, shared by all lanes.
struct Recorder {
  std::mutex mu;
  std::vector<protocol::IdentifyRequest> identifies;
  std::vector<protocol::PriceRequest> prices;
  std::vector<protocol::CommitRequest> commits;
  std::vector<std::string> endpoints;  // one per connection made
};

// A till that answers like an agent: identify and price succeed; commit is "committed" with
// 1 point per whole currency unit, except that transactions whose sequence number is a multiple
// of `queueEvery` are "queued" and those of a multiple of `failEvery` fail with `failCode`.
class FakeTill final : public TillConnection {
 public:
  FakeTill(Recorder& rec, int queueEvery, int failEvery, ErrorCode failCode)
      : rec_(rec), queueEvery_(queueEvery), failEvery_(failEvery), failCode_(failCode) {}

  base::Result<protocol::IdentifyResponse> identify(
      const protocol::IdentifyRequest& request) override {
    std::lock_guard<std::mutex> lock(rec_.mu);
    rec_.identifies.push_back(request);
    protocol::IdentifyResponse r;
    r.customerId = 1;
    r.tier = "base";
    r.pointsBalance = base::Points(0);
    return r;
  }
  base::Result<protocol::PriceResponse> price(const protocol::PriceRequest& request) override {
    std::lock_guard<std::mutex> lock(rec_.mu);
    rec_.prices.push_back(request);
    if (failEvery_ > 0 && seq(request.key) % failEvery_ == 0) {
      return base::makeError(failCode_, "price refused");
    }
    protocol::PriceResponse r;
    r.subtotal = basketTotal(request.lines);
    r.total = r.subtotal;
    return r;
  }
  base::Result<protocol::CommitResponse> commit(const protocol::CommitRequest& request) override {
    std::lock_guard<std::mutex> lock(rec_.mu);
    rec_.commits.push_back(request);
    const int64_t s = seq(request.key);
    if (failEvery_ > 0 && s % failEvery_ == 0) {
      return base::makeError(failCode_, "commit refused");
    }
    protocol::CommitResponse r;
    r.total = basketTotal(request.lines);
    if (queueEvery_ > 0 && s % queueEvery_ == 0) {
      r.status = protocol::kStatusQueued;
    } else {
      r.status = protocol::kStatusCommitted;
      r.saleId = s;
      r.pointsEarned = base::Points(r.total.value() / 100);
      r.pointsBalance = r.pointsEarned;
    }
    return r;
  }
  base::Result<protocol::AgentStatus> agentStatus() override { return protocol::AgentStatus{}; }

 private:
  static int64_t seq(const protocol::TransactionKey& key) {
    return std::stoll(key.txn.substr(key.txn.rfind('-') + 1));
  }
  Recorder& rec_;
  const int queueEvery_;
  const int failEvery_;
  const ErrorCode failCode_;
};

TillFactory fakeFactory(Recorder& rec, int queueEvery = 0, int failEvery = 0,
                        ErrorCode failCode = ErrorCode::kUnavailable) {
  return [&rec, queueEvery, failEvery, failCode](const Endpoint& e) {
    {
      std::lock_guard<std::mutex> lock(rec.mu);
      rec.endpoints.push_back(e.str());
    }
    return std::make_unique<FakeTill>(rec, queueEvery, failEvery, failCode);
  };
}

DayConfig dayConfig(int lanes, std::vector<Endpoint> agents) {
  DayConfig c;
  c.agents = std::move(agents);
  c.lanes = lanes;
  c.store = "S009";
  c.businessDate = "2024-03-01";
  c.runId = "R7";
  return c;
}

TEST_CASE("Simulator: each visit identifies, prices and commits the same basket", "[tools]") {
  const TaFengData d = smallData();
  const std::vector<size_t> chosen = {0, 1, 2, 3};
  const auto visits = planVisits(d, chosen, 3);  // 3 + 2 + 1 + 3 = 9 visits
  REQUIRE(visits.size() == 9);
  Recorder rec;
  StoreDay day(d, visits, 4, dayConfig(2, {{"a", 1}, {"b", 2}, {"c", 3}}), fakeFactory(rec));
  const DaySummary s = day.run();

  CHECK(s.shoppers == 4);
  CHECK(s.visits == 9);
  CHECK(day.visitsDone() == 9);
  CHECK(s.committed == 9);
  CHECK(s.queued == 0);
  CHECK(s.errors.empty());
  CHECK(s.identify.count == 9);
  CHECK(s.price.count == 9);
  CHECK(s.commit.count == 9);
  CHECK(s.commit.p50Us <= s.commit.p99Us);
  CHECK(s.commit.p99Us <= s.commit.maxUs);
  CHECK(s.wallS > 0);

  // Lanes are spread round-robin over the agents: lane 0 -> a, lane 1 -> b (c unused).
  std::sort(rec.endpoints.begin(), rec.endpoints.end());
  CHECK(rec.endpoints == std::vector<std::string>{"a:1", "b:2"});

  REQUIRE(rec.commits.size() == 9);
  REQUIRE(rec.prices.size() == 9);
  REQUIRE(rec.identifies.size() == 9);
  std::map<std::string, protocol::PriceRequest> priceByTxn;
  for (const auto& p : rec.prices) {
    priceByTxn[p.key.txn] = p;
  }
  std::set<std::string> txns;
  int64_t points = 0;
  for (const protocol::CommitRequest& c : rec.commits) {
    INFO(c.key.txn);
    CHECK(txns.insert(c.key.txn).second);  // never reused
    CHECK(c.key.store == "S009");
    CHECK(c.key.businessDate == "2024-03-01");
    CHECK(c.key.txn.size() <= 32);
    CHECK(protocol::isValidCard(c.card));
    // The lane is in the terminal id and in the transaction number.
    const std::string lane = c.key.terminal.substr(1);
    CHECK((c.key.terminal == "T01" || c.key.terminal == "T02"));
    CHECK(c.key.txn.rfind("R7-" + lane + "-", 0) == 0);
    // The price call carried the same key, card and lines.
    REQUIRE(priceByTxn.count(c.key.txn) == 1);
    const protocol::PriceRequest& p = priceByTxn[c.key.txn];
    CHECK(p.key == c.key);
    CHECK(p.card == c.card);
    REQUIRE(p.lines.size() == c.lines.size());
    for (size_t k = 0; k < p.lines.size(); ++k) {
      CHECK(p.lines[k].sku == c.lines[k].sku);
      CHECK(p.lines[k].quantity == c.lines[k].quantity);
      CHECK(p.lines[k].unitPrice == c.lines[k].unitPrice);
    }
    // One card tender of the basket total.
    REQUIRE(c.tenders.size() == 1);
    CHECK(c.tenders[0].type == "card");
    CHECK(c.tenders[0].amount == basketTotal(c.lines));
    points += basketTotal(c.lines).value() / 100;
  }
  CHECK(s.pointsAwarded == base::Points(points));

  // Every planned (shopper, basket) was rung up exactly once, with the derived lines and card.
  std::multiset<std::string> want;
  std::multiset<std::string> got;
  for (const Visit& v : visits) {
    const Shopper& sh = d.shoppers[v.shopper];
    std::string sig = cardOf(sh.userId);
    for (const auto& line : basketLines(sh.userId, v.basket, sh.baskets[v.basket])) {
      sig += "|" + line.sku + "x" + std::to_string(line.quantity);
    }
    want.insert(sig);
  }
  for (const auto& c : rec.commits) {
    std::string sig = c.card;
    for (const auto& line : c.lines) {
      sig += "|" + line.sku + "x" + std::to_string(line.quantity);
    }
    got.insert(sig);
  }
  CHECK(got == want);

  // Identify names the lane's store and terminal.
  for (const auto& i : rec.identifies) {
    CHECK(i.store == "S009");
    CHECK((i.terminal == "T01" || i.terminal == "T02"));
  }
}

TEST_CASE("Simulator: queued answers and errors are counted, and the day goes on", "[tools]") {
  const TaFengData d = smallData();
  const auto visits = planVisits(d, {0, 1, 2, 3}, 3);  // 9 visits on 1 lane: seq 1..9
  Recorder rec;
  // seq 2, 4, 8 queued; seq 3, 6, 9 fail in price and commit (6 is not queued: it fails first).
  StoreDay day(d, visits, 4, dayConfig(1, {{"a", 1}}),
               fakeFactory(rec, 2, 3, ErrorCode::kIdempotencyConflict));
  const DaySummary s = day.run();
  CHECK(s.visits == 9);
  CHECK(s.committed == 3);  // seq 1, 5, 7
  CHECK(s.queued == 3);     // seq 2, 4, 8
  REQUIRE(s.errors.size() == 1);
  CHECK(s.errors.at("idempotency_conflict") == 6);
  CHECK(s.errorsByCall.at("price").at("idempotency_conflict") == 3);
  CHECK(s.errorsByCall.at("commit").at("idempotency_conflict") == 3);
  CHECK(s.errorsByCall.count("identify") == 0);
  // A failed price did not stop the commit.
  CHECK(rec.commits.size() == 9);
  CHECK(s.commit.count == 9);
}

TEST_CASE("Simulator: the pace spreads the visits over time", "[tools]") {
  const TaFengData d = smallData();
  const auto visits = planVisits(d, {0, 1, 2, 3}, 3);  // 9 visits
  Recorder rec;
  DayConfig config = dayConfig(3, {{"a", 1}});
  config.pace = 200;  // visit j starts no earlier than j * 5 ms
  StoreDay day(d, visits, 4, config, fakeFactory(rec));
  int progressCalls = 0;
  bool progressInRange = true;
  const DaySummary s = day.run(
      [&](int64_t done, int64_t total, double elapsedS) {
        ++progressCalls;
        progressInRange =
            progressInRange && done >= 0 && done <= total && total == 9 && elapsedS >= 0;
      },
      std::chrono::milliseconds(1));
  CHECK(s.visits == 9);
  CHECK(s.wallS >= 0.040);  // the last visit (j = 8) could not start before 40 ms
  CHECK(progressCalls >= 1);
  CHECK(progressInRange);
}

TEST_CASE("Simulator: an empty plan is a day with nothing to do", "[tools]") {
  const TaFengData d = smallData();
  Recorder rec;
  StoreDay day(d, {}, 0, dayConfig(4, {{"a", 1}}), fakeFactory(rec));
  const DaySummary s = day.run();
  CHECK(s.visits == 0);
  CHECK(s.committed == 0);
  CHECK(s.commit.count == 0);
  CHECK(rec.commits.empty());
}

// An agent whose outbox empties by `perCall` every status call, or that fails every call.
class DrainingAgent final : public TillConnection {
 public:
  DrainingAgent(int64_t pending, int64_t perCall, std::optional<ErrorCode> failure)
      : pending_(pending), perCall_(perCall), failure_(failure) {}
  base::Result<protocol::IdentifyResponse> identify(const protocol::IdentifyRequest&) override {
    return base::makeError(ErrorCode::kInternal, "unused");
  }
  base::Result<protocol::PriceResponse> price(const protocol::PriceRequest&) override {
    return base::makeError(ErrorCode::kInternal, "unused");
  }
  base::Result<protocol::CommitResponse> commit(const protocol::CommitRequest&) override {
    return base::makeError(ErrorCode::kInternal, "unused");
  }
  base::Result<protocol::AgentStatus> agentStatus() override {
    if (failure_) {
      return base::makeError(*failure_, "status failed");
    }
    protocol::AgentStatus s;
    s.outboxPending = pending_;
    s.delivered = delivered_;
    s.coreReachable = true;
    const int64_t n = std::min(pending_, perCall_);
    pending_ -= n;
    delivered_ += n;
    return s;
  }

 private:
  int64_t pending_;
  const int64_t perCall_;
  int64_t delivered_ = 0;
  const std::optional<ErrorCode> failure_;
};

TEST_CASE("Simulator: the drain waits until every outbox is empty", "[tools]") {
  const TillFactory factory = [](const Endpoint& e) -> TillConnectionPtr {
    if (e.host == "core") {
      return std::make_unique<DrainingAgent>(0, 0, ErrorCode::kNotFound);
    }
    return std::make_unique<DrainingAgent>(e.port, 2, std::nullopt);  // port = initial backlog
  };
  const DrainResult r = drainAgents({{"a", 5}, {"b", 1}, {"core", 9}}, factory,
                                    std::chrono::seconds(30), std::chrono::milliseconds(1));
  CHECK(r.drained);
  CHECK(r.pending == 0);
  REQUIRE(r.agents.size() == 3);
  CHECK(r.agents[0].isAgent);
  CHECK(r.agents[0].reachable);
  CHECK(r.agents[0].pending == 0);
  CHECK(r.agents[0].delivered == 5);  // polls see 5, 3, 1, then 0 pending with 5 delivered
  CHECK(r.agents[1].delivered == 1);  // 1 -> 0 on the first poll, seen on the second
  CHECK_FALSE(r.agents[2].isAgent);   // the core itself: no outbox
}

TEST_CASE("Simulator: the drain gives up at the deadline", "[tools]") {
  const TillFactory factory = [](const Endpoint& e) -> TillConnectionPtr {
    if (e.host == "down") {
      return std::make_unique<DrainingAgent>(0, 0, ErrorCode::kUnavailable);
    }
    return std::make_unique<DrainingAgent>(3, 0, std::nullopt);  // never delivers
  };
  const DrainResult stuck = drainAgents({{"stuck", 1}}, factory, std::chrono::milliseconds(20),
                                        std::chrono::milliseconds(2));
  CHECK_FALSE(stuck.drained);
  CHECK(stuck.pending == 3);

  const DrainResult down = drainAgents({{"down", 1}}, factory, std::chrono::milliseconds(0),
                                       std::chrono::milliseconds(1));
  CHECK_FALSE(down.drained);
  REQUIRE(down.agents.size() == 1);
  CHECK_FALSE(down.agents[0].reachable);
}

TEST_CASE("Simulator: an endpoint that does not answer stops the start", "[tools]") {
  const TillFactory factory = [](const Endpoint& e) -> TillConnectionPtr {
    if (e.host == "down") {
      return std::make_unique<DrainingAgent>(0, 0, ErrorCode::kUnavailable);
    }
    if (e.host == "slow") {
      return std::make_unique<DrainingAgent>(0, 0, ErrorCode::kTimeout);
    }
    if (e.host == "core") {
      return std::make_unique<DrainingAgent>(0, 0, ErrorCode::kNotFound);
    }
    return std::make_unique<DrainingAgent>(0, 0, std::nullopt);
  };
  CHECK(checkReachable({{"up", 1}, {"core", 2}}, factory).ok());
  auto down = checkReachable({{"up", 1}, {"down", 2}}, factory);
  REQUIRE_FALSE(down.ok());
  CHECK(down.error().code == ErrorCode::kUnavailable);
  CHECK(down.error().message.find("down:2") != std::string::npos);
  CHECK_FALSE(checkReachable({{"slow", 3}}, factory).ok());
}

}  // namespace
}  // namespace loyalty::tools

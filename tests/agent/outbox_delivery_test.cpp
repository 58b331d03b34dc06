// Tests of the pos-agent's outbox delivery with several deliveries in flight
// (pos-agent/src/server/agent_service.h, outbox.deliveryConcurrency) against the in-process fake
// core, which records when each request arrived and was answered.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "fake_core.h"
#include "loyalty/protocol/card.h"
#include "loyalty/protocol/codec.h"
#include "samples.h"
#include "server/agent_service.h"
#include "support/test_support.h"

namespace loyalty::agent {
namespace {

using base::ErrorCode;
using protocol::encode;
using test::FakeCore;
using test::ReceivedRequest;
using testing::TempDir;
using testing::waitUntil;

constexpr int kBudgetMs = 200;

// A service with `concurrency` delivery workers, wired to a fake core and a fresh outbox. The
// sender starts only when a test asks for it.
struct Fixture {
  TempDir dir{"pos-agent-test"};
  FakeCore core;
  OutboxPtr outbox;
  std::unique_ptr<AgentService> service;

  explicit Fixture(int concurrency) {
    base::Result<OutboxPtr> opened = Outbox::open(dir.file("outbox.db"));
    REQUIRE(opened.ok());
    outbox = std::move(opened).value();
    AgentServiceOptions options;
    options.coreHost = "127.0.0.1";
    options.corePort = core.port();
    options.budgetMs = kBudgetMs;
    options.deliveryTimeoutMs = 2000;
    options.retryInitialMs = 10;
    options.retryMaxMs = 100;
    options.deliveryConcurrency = concurrency;
    service = std::make_unique<AgentService>(options, *outbox);
  }

  ~Fixture() { service->stop(); }

  bool drained(int64_t delivered) const {
    protocol::AgentStatus status = service->statusSnapshot();
    return status.outboxPending == 0 && status.delivered == delivered;
  }

  // Queues a commit (the core must be down) and returns its body.
  std::string queueCommit(const std::string& card, const std::string& txn) {
    protocol::CommitRequest request = test::sampleCommit(txn);
    request.card = card;
    std::string body = encode(request);
    Reply reply = service->commit(body, "req-" + txn);
    REQUIRE(reply.status == 200);
    REQUIRE(reply.body.find("\"queued\"") != std::string::npos);
    return body;
  }
};

std::string card(uint64_t n) { return protocol::cardForCustomerNumber(1000 + n); }

// The requests to `path` with one of `bodies`, in arrival order.
std::vector<ReceivedRequest> arrivals(const FakeCore& core, const std::string& path,
                                      const std::vector<std::string>& bodies) {
  std::set<std::string> wanted(bodies.begin(), bodies.end());
  std::vector<ReceivedRequest> out;
  for (ReceivedRequest& r : core.received()) {
    if (r.uri == path && wanted.count(r.body) == 1) {
      out.push_back(std::move(r));
    }
  }
  std::sort(out.begin(), out.end(), [](const ReceivedRequest& a, const ReceivedRequest& b) {
    return a.arrivedTick < b.arrivedTick;
  });
  return out;
}

// The promise for one card's sales `bodies` (in the order they were queued), over every attempt
// the core saw: no two overlapped, none was sent before the core had accepted every earlier one
// (an earlier one may be sent again: a retry), and all were accepted.
void checkLane(const FakeCore& core, const std::vector<std::string>& bodies) {
  std::map<std::string, size_t> indexOf;
  for (size_t i = 0; i < bodies.size(); ++i) {
    indexOf[bodies[i]] = i;
  }
  size_t next = 0;  // the first sale the core has not accepted yet
  const ReceivedRequest* previous = nullptr;
  for (const ReceivedRequest& r : arrivals(core, "/v1/commit", bodies)) {
    const size_t index = indexOf[r.body];
    INFO("sale " << index << " of " << bodies.size() << ", accepted so far " << next);
    CHECK(index <= next);
    if (previous != nullptr) {
      CHECK(previous->answeredTick < r.arrivedTick);
    }
    if (r.status >= 200 && r.status <= 299 && index == next) {
      ++next;
    }
    previous = &r;
  }
  CHECK(next == bodies.size());
}

TEST_CASE("Outbox delivery: one card's sales reach the core in order while others go in parallel",
          "[agent]") {
  constexpr int kConcurrency = 8;
  Fixture f(kConcurrency);
  f.core.stop();
  // Card A's sales interleaved with those of five other cards, in a seeded random order.
  std::mt19937_64 rng(7);
  std::map<std::string, std::vector<std::string>> byCard;
  constexpr int kSales = 120;
  for (int i = 0; i < kSales; ++i) {
    const std::string c = i % 2 == 0 ? card(0) : card(1 + rng() % 5);
    byCard[c].push_back(f.queueCommit(c, "o" + std::to_string(i)));
  }
  REQUIRE(f.outbox->pending() == kSales);

  f.core.setDelay(std::chrono::milliseconds(2));  // long enough for deliveries to overlap
  f.core.restart();
  f.service->start();
  REQUIRE(waitUntil([&] { return f.drained(kSales); }));

  for (const auto& [c, bodies] : byCard) {
    INFO("card ending " << c.substr(c.size() - 4));
    checkLane(f.core, bodies);
  }
  CHECK(f.core.accepted("/v1/commit").size() == kSales);  // each once: nothing failed
  // Several at once, never more than the setting.
  CHECK(f.core.maxInFlight() > 1);
  CHECK(f.core.maxInFlight() <= kConcurrency);
  protocol::AgentStatus status = f.service->statusSnapshot();
  CHECK(status.delivered == kSales);
  CHECK(status.deadLetters == 0);
}

TEST_CASE("Outbox delivery: exactly deliveryConcurrency deliveries are in flight at once",
          "[agent]") {
  constexpr int kConcurrency = 4;
  Fixture f(kConcurrency);
  f.core.stop();
  std::vector<std::string> bodies;
  for (int i = 0; i < 20; ++i) {
    bodies.push_back(f.queueCommit(card(static_cast<uint64_t>(i)), "c" + std::to_string(i)));
  }
  // The core accepts connections but answers nothing until released.
  f.core.setHang();
  f.core.restart();
  f.service->start();
  REQUIRE(waitUntil([&] { return f.core.inFlight() == kConcurrency; }));
  CHECK(f.core.maxInFlight() == kConcurrency);
  CHECK(f.outbox->pending() == 20);

  f.core.setOk();  // the hung ones get 503 and are sent again
  REQUIRE(waitUntil([&] { return f.drained(20); }));
  CHECK(f.core.maxInFlight() == kConcurrency);
  // The first four sent were the four oldest.
  std::vector<ReceivedRequest> all = arrivals(f.core, "/v1/commit", bodies);
  REQUIRE(all.size() >= 24);
  std::set<std::string> firstFour;
  for (size_t i = 0; i < 4; ++i) {
    firstFour.insert(all[i].body);
  }
  CHECK(firstFour == std::set<std::string>(bodies.begin(), bodies.begin() + 4));
  CHECK(f.core.accepted("/v1/commit").size() == 20);
}

TEST_CASE("Outbox delivery: a refund goes alone, after everything queued before it", "[agent]") {
  Fixture f(8);
  f.core.stop();
  std::vector<std::string> before;
  std::vector<std::string> after;
  for (int i = 0; i < 6; ++i) {
    before.push_back(f.queueCommit(card(static_cast<uint64_t>(i)), "b" + std::to_string(i)));
  }
  std::string refund = encode(test::sampleRefund("r1", "b0"));
  Reply queued = f.service->refund(refund, "req-r1");
  REQUIRE(queued.status == 200);
  for (int i = 0; i < 6; ++i) {
    after.push_back(f.queueCommit(card(static_cast<uint64_t>(i)), "a" + std::to_string(i)));
  }

  f.core.setDelay(std::chrono::milliseconds(2));
  f.core.restart();
  f.service->start();
  REQUIRE(waitUntil([&] { return f.drained(13); }));

  std::vector<ReceivedRequest> refunds = arrivals(f.core, "/v1/refund", {refund});
  REQUIRE(refunds.size() == 1);
  for (const ReceivedRequest& r : arrivals(f.core, "/v1/commit", before)) {
    CHECK(r.answeredTick < refunds[0].arrivedTick);
  }
  for (const ReceivedRequest& r : arrivals(f.core, "/v1/commit", after)) {
    CHECK(refunds[0].answeredTick < r.arrivedTick);
  }
  CHECK(f.core.accepted("/v1/refund") == std::vector<std::string>{refund});
}

TEST_CASE("Outbox delivery: a refused sale becomes a dead letter and its card's next sales follow",
          "[agent]") {
  Fixture f(8);
  f.core.stop();
  const std::string a = card(0);
  const std::string b = card(1);
  std::string a1 = f.queueCommit(a, "d1");
  std::string b1 = f.queueCommit(b, "d2");
  std::string a2 = f.queueCommit(a, "d3");
  std::string b2 = f.queueCommit(b, "d4");
  std::string a3 = f.queueCommit(a, "d5");
  f.core.refuseBody(a2, ErrorCode::kIdempotencyConflict);

  f.core.setDelay(std::chrono::milliseconds(2));
  f.core.restart();
  f.service->start();
  REQUIRE(waitUntil([&] { return f.drained(4); }));

  protocol::AgentStatus status = f.service->statusSnapshot();
  CHECK(status.delivered == 4);
  CHECK(status.deadLetters == 1);
  CHECK(f.core.timesReceived(a2) == 1);  // refused for good: never sent again
  // Card A: a1, then the refused a2, then a3, one after the other.
  std::vector<ReceivedRequest> laneA = arrivals(f.core, "/v1/commit", {a1, a2, a3});
  REQUIRE(laneA.size() == 3);
  CHECK(laneA[0].body == a1);
  CHECK(laneA[1].body == a2);
  CHECK(laneA[2].body == a3);
  CHECK(laneA[0].answeredTick < laneA[1].arrivedTick);
  CHECK(laneA[1].answeredTick < laneA[2].arrivedTick);
  checkLane(f.core, {b1, b2});

  base::Result<std::vector<DeadLetter>> letters = f.outbox->deadLetters();
  REQUIRE(letters.ok());
  REQUIRE(letters->size() == 1);
  CHECK(letters->front().item.body == a2);
  CHECK(letters->front().error.find("idempotency_conflict") != std::string::npos);
}

TEST_CASE("Outbox delivery: a core that goes away mid-drain gets every sale, in order per card",
          "[agent]") {
  Fixture f(8);
  f.core.stop();
  std::map<std::string, std::vector<std::string>> byCard;
  constexpr int kSales = 100;
  for (int i = 0; i < kSales; ++i) {
    const std::string c = card(static_cast<uint64_t>(i % 5));
    byCard[c].push_back(f.queueCommit(c, "m" + std::to_string(i)));
  }
  f.core.setDelay(std::chrono::milliseconds(5));  // 20 sales per card: 100 ms at least
  f.core.restart();
  f.service->start();
  REQUIRE(waitUntil([&] { return f.core.accepted("/v1/commit").size() >= 30; }));
  f.core.stop();  // in the middle of the drain (unless this machine stalled us for 70 ms)
  REQUIRE(
      waitUntil([&] { return !f.service->statusSnapshot().coreReachable || f.drained(kSales); }));
  f.core.restart();
  REQUIRE(waitUntil([&] { return f.drained(kSales); }));

  for (const auto& [c, bodies] : byCard) {
    INFO("card ending " << c.substr(c.size() - 4));
    checkLane(f.core, bodies);
  }
  CHECK(f.service->statusSnapshot().deadLetters == 0);
}

TEST_CASE("Outbox delivery: stop() removes what was delivered; a restart sends only the rest",
          "[agent]") {
  Fixture f(8);
  f.core.stop();
  std::vector<std::string> bodies;
  constexpr int kSales = 200;
  for (int i = 0; i < kSales; ++i) {
    bodies.push_back(f.queueCommit(card(static_cast<uint64_t>(i % 40)), "s" + std::to_string(i)));
  }
  f.core.setDelay(std::chrono::milliseconds(1));
  f.core.restart();
  f.service->start();
  REQUIRE(waitUntil([&] { return f.core.accepted("/v1/commit").size() >= 50; }));
  f.service->stop();

  // Every sale the core accepted is out of the outbox and counted; the rest are still queued.
  // (The fake records a request just after its answer left, so its count may lag a little.)
  protocol::AgentStatus stopped = f.service->statusSnapshot();
  CHECK(stopped.delivered >= 50);
  CHECK(stopped.outboxPending == kSales - stopped.delivered);
  CHECK(waitUntil([&] {
    return static_cast<int64_t>(f.core.accepted("/v1/commit").size()) == stopped.delivered;
  }));

  f.service->start();
  REQUIRE(waitUntil([&] { return f.drained(kSales); }));
  for (const std::string& body : bodies) {
    CHECK(f.core.timesReceived(body) == 1);
  }
}

}  // namespace
}  // namespace loyalty::agent

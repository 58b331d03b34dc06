// Tests of the pos-agent's forwarding logic (pos-agent/src/server/agent_service.h) against an
// in-process fake core.
#include "server/agent_service.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "fake_core.h"
#include "loyalty/protocol/codec.h"
#include "loyalty/protocol/coupon_code.h"
#include "loyalty/protocol/errors.h"
#include "samples.h"
#include "support/test_support.h"

namespace loyalty::agent {
namespace {

using base::ErrorCode;
using protocol::encode;
using test::FakeCore;
using test::sampleCommit;
using testing::TempDir;
using testing::waitUntil;

constexpr int kBudgetMs = 200;

// A service wired to a fake core and a fresh outbox. The sender is not started unless a test
// asks for it, so that what is queued stays queued until the test lets it go.
struct Fixture {
  TempDir dir{"pos-agent-test"};
  FakeCore core;
  OutboxPtr outbox;
  std::unique_ptr<AgentService> service;

  explicit Fixture(int offlineHoldMs = 0) {
    base::Result<OutboxPtr> opened = Outbox::open(dir.file("outbox.db"));
    REQUIRE(opened.ok());
    outbox = std::move(opened).value();
    AgentServiceOptions options;
    options.coreHost = "127.0.0.1";
    options.corePort = core.port();
    options.budgetMs = kBudgetMs;
    options.deliveryTimeoutMs = 1000;
    options.retryInitialMs = 10;
    options.retryMaxMs = 100;
    options.offlineHoldMs = offlineHoldMs;
    service = std::make_unique<AgentService>(options, *outbox);
  }

  ~Fixture() {
    service->stop();  // before the fake core goes away
  }

  bool drained(int64_t delivered) const {
    protocol::AgentStatus status = service->statusSnapshot();
    return status.outboxPending == 0 && status.delivered == delivered;
  }
};

protocol::CommitResponse decodeCommit(const Reply& reply) {
  REQUIRE(reply.status == 200);
  base::Result<protocol::CommitResponse> response = protocol::decodeCommitResponse(reply.body);
  REQUIRE(response.ok());
  return *response;
}

void checkQueuedCommit(const Reply& reply) {
  protocol::CommitResponse response = decodeCommit(reply);
  CHECK(response.status == protocol::kStatusQueued);
  CHECK(response.total == base::Money(test::kSampleBasketTotal));
  CHECK_FALSE(response.saleId.has_value());
  CHECK_FALSE(response.pointsEarned.has_value());
  CHECK_FALSE(response.pointsBalance.has_value());
  CHECK(response.receipt == std::vector<std::string>{kQueuedCommitReceipt});
}

TEST_CASE("AgentService: a forwarded commit returns the core's answer", "[agent]") {
  Fixture f;
  std::string body = encode(sampleCommit("1001"));
  Reply reply = f.service->commit(body, "req-1");
  CHECK(reply.status == 200);
  CHECK(reply.body == encode(FakeCore::commitAnswer()));
  CHECK(f.outbox->pending() == 0);
  CHECK(f.core.accepted("/v1/commit") == std::vector<std::string>{body});
  CHECK(f.service->statusSnapshot().coreReachable);
}

TEST_CASE("AgentService: an unreachable core queues the commit durably", "[agent]") {
  Fixture f;
  f.core.stop();
  std::string body = encode(sampleCommit("1002"));
  Reply reply = f.service->commit(body, "req-2");
  checkQueuedCommit(reply);
  CHECK(f.outbox->pending() == 1);
  CHECK_FALSE(f.service->statusSnapshot().coreReachable);

  base::Result<std::optional<OutboxItem>> item = f.outbox->oldest();
  REQUIRE(item.ok());
  REQUIRE(item->has_value());
  CHECK((*item)->kind == OutboxKind::kCommit);
  CHECK((*item)->body == body);
  CHECK((*item)->key == "S001/T01/2024-03-15/1002");
}

TEST_CASE("AgentService: a hanging core gets a queued answer within roughly the budget",
          "[agent]") {
  Fixture f;
  f.core.setHang();
  auto started = std::chrono::steady_clock::now();
  Reply reply = f.service->commit(encode(sampleCommit("1003")), "req-3");
  auto elapsed = std::chrono::steady_clock::now() - started;
  checkQueuedCommit(reply);
  CHECK(f.outbox->pending() == 1);
  // The core hangs for up to 30 s; a generous bound still proves the budget cut the call short.
  CHECK(elapsed < std::chrono::milliseconds(10 * kBudgetMs));
  f.core.setOk();  // releases the hung handler
}

TEST_CASE("AgentService: a 5xx from the core queues the commit", "[agent]") {
  Fixture f;
  f.core.setError(ErrorCode::kUnavailable);
  checkQueuedCommit(f.service->commit(encode(sampleCommit("1004")), "req-4"));
  CHECK(f.outbox->pending() == 1);
}

TEST_CASE("AgentService: queued commits are delivered in order once the core is back", "[agent]") {
  Fixture f;
  f.core.stop();
  f.service->start();
  std::vector<std::string> bodies;
  for (const char* txn : {"2001", "2002", "2003"}) {
    bodies.push_back(encode(sampleCommit(txn)));
    checkQueuedCommit(f.service->commit(bodies.back(), std::string("req-") + txn));
  }
  CHECK(f.service->statusSnapshot().outboxPending == 3);
  CHECK(f.core.accepted("/v1/commit").empty());

  f.core.restart();
  REQUIRE(waitUntil([&] { return f.drained(3); }));
  // Exactly the queued requests, each once, oldest first.
  CHECK(f.core.accepted("/v1/commit") == bodies);
  protocol::AgentStatus status = f.service->statusSnapshot();
  CHECK(status.delivered == 3);
  CHECK(status.deadLetters == 0);
  CHECK(status.coreReachable);
}

TEST_CASE("AgentService: a new commit is queued behind queued ones, not sent ahead", "[agent]") {
  Fixture f;
  f.core.stop();
  std::string first = encode(sampleCommit("3001"));
  checkQueuedCommit(f.service->commit(first, "req-a"));

  // The core is back, but the outbox is not empty: the new sale must not overtake.
  f.core.restart();
  std::string second = encode(sampleCommit("3002"));
  checkQueuedCommit(f.service->commit(second, "req-b"));
  CHECK(f.core.received().empty());
  CHECK(f.outbox->pending() == 2);

  f.service->start();
  REQUIRE(waitUntil([&] { return f.drained(2); }));
  CHECK(f.core.accepted("/v1/commit") == std::vector<std::string>{first, second});
}

TEST_CASE("AgentService: a failed delivery is retried until the core accepts it", "[agent]") {
  Fixture f;
  f.core.setError(ErrorCode::kUnavailable);
  std::string body = encode(sampleCommit("4001"));
  checkQueuedCommit(f.service->commit(body, "req-r"));
  f.service->start();
  // The forward plus at least two delivery attempts, all answered 503.
  REQUIRE(waitUntil([&] { return f.core.timesReceived(body) >= 3; }));
  CHECK(f.outbox->pending() == 1);

  f.core.setOk();
  REQUIRE(waitUntil([&] { return f.drained(1); }));
  CHECK(f.core.accepted("/v1/commit") == std::vector<std::string>{body});
}

TEST_CASE("AgentService: a 4xx from the core is returned as is and not queued", "[agent]") {
  Fixture f;
  f.core.setError(ErrorCode::kUnknownSale);
  std::string body = encode(test::sampleRefund("5001", "0999"));
  Reply reply = f.service->refund(body, "req-5");
  CHECK(reply.status == protocol::httpStatus(ErrorCode::kUnknownSale));
  CHECK(reply.contentType == kContentTypeProblem);
  base::Result<protocol::ErrorBody> problem = protocol::decodeErrorBody(reply.body);
  REQUIRE(problem.ok());
  CHECK(problem->code == "unknown_sale");
  CHECK(problem->requestId == "fake-core");  // the core's own body, unchanged
  CHECK(f.outbox->pending() == 0);

  f.core.setError(ErrorCode::kIdempotencyConflict);
  Reply conflict = f.service->commit(encode(sampleCommit("5002")), "req-6");
  CHECK(conflict.status == protocol::httpStatus(ErrorCode::kIdempotencyConflict));
  CHECK(f.outbox->pending() == 0);
}

TEST_CASE("AgentService: a queued item the core refuses becomes a dead letter", "[agent]") {
  Fixture f;
  f.core.stop();
  std::string refused = encode(sampleCommit("6001"));
  std::string fine = encode(sampleCommit("6002"));
  checkQueuedCommit(f.service->commit(refused, "req-x"));
  checkQueuedCommit(f.service->commit(fine, "req-y"));

  f.core.refuseBody(refused, ErrorCode::kIdempotencyConflict);
  f.core.restart();
  f.service->start();
  REQUIRE(waitUntil([&] { return f.drained(1); }));

  protocol::AgentStatus status = f.service->statusSnapshot();
  CHECK(status.deadLetters == 1);
  CHECK(status.delivered == 1);
  CHECK(f.core.accepted("/v1/commit") == std::vector<std::string>{fine});
  CHECK(f.core.timesReceived(refused) == 1);  // refused for good: never retried

  base::Result<std::vector<DeadLetter>> letters = f.outbox->deadLetters();
  REQUIRE(letters.ok());
  REQUIRE(letters->size() == 1);
  CHECK(letters->front().item.body == refused);
  CHECK(letters->front().error.find("idempotency_conflict") != std::string::npos);
}

TEST_CASE("AgentService: a refund is queued with an unknown amount when the core is down",
          "[agent]") {
  Fixture f;
  f.core.stop();
  std::string body = encode(test::sampleRefund("7001", "1001"));
  Reply reply = f.service->refund(body, "req-7");
  REQUIRE(reply.status == 200);
  base::Result<protocol::RefundResponse> response = protocol::decodeRefundResponse(reply.body);
  REQUIRE(response.ok());
  CHECK(response->status == protocol::kStatusQueued);
  CHECK(response->amountRefunded == base::Money(0));
  CHECK_FALSE(response->refundId.has_value());
  CHECK(response->receipt == std::vector<std::string>{kQueuedRefundReceipt});

  base::Result<std::optional<OutboxItem>> item = f.outbox->oldest();
  REQUIRE(item.ok());
  REQUIRE(item->has_value());
  CHECK((*item)->kind == OutboxKind::kRefund);
  CHECK((*item)->body == body);

  f.core.restart();
  f.service->start();
  REQUIRE(waitUntil([&] { return f.drained(1); }));
  CHECK(f.core.accepted("/v1/refund") == std::vector<std::string>{body});
}

TEST_CASE("AgentService: identify and price are forwarded while the core answers", "[agent]") {
  Fixture f;
  Reply identify = f.service->identify(encode(test::sampleIdentify()), "req-i");
  CHECK(identify.status == 200);
  CHECK(identify.body == encode(FakeCore::identifyAnswer()));
  Reply price = f.service->price(encode(test::samplePrice({})), "req-p");
  CHECK(price.status == 200);
  CHECK(price.body == encode(FakeCore::priceAnswer()));
}

TEST_CASE("AgentService: identify and price answer offline without the core", "[agent]") {
  Fixture f;
  SECTION("core stopped") { f.core.stop(); }
  SECTION("core answers 503") { f.core.setError(ErrorCode::kUnavailable); }
  SECTION("core hangs") { f.core.setHang(); }

  Reply identify = f.service->identify(encode(test::sampleIdentify()), "req-i");
  REQUIRE(identify.status == 200);
  base::Result<protocol::IdentifyResponse> who = protocol::decodeIdentifyResponse(identify.body);
  REQUIRE(who.ok());
  CHECK(who->offline);
  CHECK(who->tier == "unknown");
  CHECK(who->customerId == 0);
  CHECK_FALSE(who->pointsBalance.has_value());

  Reply price = f.service->price(encode(test::samplePrice({"SAVE10", "FREEBAG"})), "req-p");
  REQUIRE(price.status == 200);
  base::Result<protocol::PriceResponse> priced = protocol::decodePriceResponse(price.body);
  REQUIRE(priced.ok());
  CHECK(priced->offline);
  CHECK(priced->subtotal == base::Money(test::kSampleBasketTotal));
  CHECK(priced->total == base::Money(test::kSampleBasketTotal));
  CHECK(priced->discounts.empty());
  CHECK_FALSE(priced->pointsPreview.has_value());
  REQUIRE(priced->coupons.size() == 2);
  CHECK(priced->coupons[0].code == "SAVE10");
  CHECK(priced->coupons[1].code == "FREEBAG");
  // This service has no coupon keys (offline_coupons_test.cpp covers those with keys).
  for (const protocol::CouponDecision& coupon : priced->coupons) {
    CHECK_FALSE(coupon.accepted);
    CHECK(coupon.reason == protocol::kCouponUnknownKey);
    CHECK_FALSE(coupon.message.empty());
  }
  CHECK(f.outbox->pending() == 0);
  f.core.setOk();  // releases a hung handler
}

size_t postsReceived(const FakeCore& core) {
  size_t posts = 0;
  for (const test::ReceivedRequest& r : core.received()) {
    posts += r.method == "POST" ? 1 : 0;
  }
  return posts;
}

bool answeredOffline(const Reply& reply) {
  base::Result<protocol::IdentifyResponse> who = protocol::decodeIdentifyResponse(reply.body);
  return reply.status == 200 && who.ok() && who->offline;
}

TEST_CASE("AgentService: after a core timeout, calls answer offline at once for the hold",
          "[agent]") {
  Fixture f(400);
  f.core.setHang();
  REQUIRE(answeredOffline(f.service->identify(encode(test::sampleIdentify()), "req-1")));
  // The core answers again (the hung call is released and recorded), but the hold is on:
  // nothing reaches it, every till is answered offline without waiting.
  f.core.setOk();
  REQUIRE(waitUntil([&] { return postsReceived(f.core) == 1; }));
  const size_t reached = postsReceived(f.core);
  CHECK(answeredOffline(f.service->identify(encode(test::sampleIdentify()), "req-2")));
  Reply price = f.service->price(encode(test::samplePrice({})), "req-3");
  base::Result<protocol::PriceResponse> priced = protocol::decodePriceResponse(price.body);
  REQUIRE(priced.ok());
  CHECK(priced->offline);
  CHECK(postsReceived(f.core) == reached);

  // Once the hold is over, the next call tries the core again and is answered online.
  CHECK(waitUntil([&] {
    return !answeredOffline(f.service->identify(encode(test::sampleIdentify()), "req-4"));
  }));
  CHECK(postsReceived(f.core) > reached);
}

TEST_CASE("AgentService: a refused connection does not hold calls offline", "[agent]") {
  Fixture f(60000);
  f.core.stop();
  REQUIRE(answeredOffline(f.service->identify(encode(test::sampleIdentify()), "req-1")));
  f.core.restart();
  // No timeout happened, so the very next call goes to the core (a hold of a minute would
  // otherwise answer it offline).
  Reply identify = f.service->identify(encode(test::sampleIdentify()), "req-2");
  CHECK(identify.status == 200);
  CHECK(identify.body == encode(FakeCore::identifyAnswer()));
}

TEST_CASE("AgentService: a delivery that reaches the core ends the hold early", "[agent]") {
  Fixture f(60000);
  f.core.setHang();
  checkQueuedCommit(f.service->commit(encode(sampleCommit("2001")), "req-c"));
  f.core.setOk();
  CHECK(answeredOffline(f.service->identify(encode(test::sampleIdentify()), "req-1")));
  f.service->start();  // the sender delivers the queued commit
  REQUIRE(waitUntil([&] { return f.drained(1); }));
  Reply identify = f.service->identify(encode(test::sampleIdentify()), "req-2");
  CHECK(identify.status == 200);
  CHECK(identify.body == encode(FakeCore::identifyAnswer()));
}

TEST_CASE("AgentService: a bad body gets the codec's error and nothing is queued", "[agent]") {
  Fixture f;
  f.core.stop();
  protocol::CommitRequest request = sampleCommit("8001");
  char& check = request.card.back();
  check = check == '9' ? '0' : static_cast<char>(check + 1);  // wrong check digit

  for (std::string body : {encode(request), std::string("{\"store\":"), std::string("[]")}) {
    base::Result<protocol::CommitRequest> codec = protocol::decodeCommitRequest(body);
    REQUIRE_FALSE(codec.ok());
    Reply reply = f.service->commit(body, "req-bad");
    CHECK(reply.status == protocol::httpStatus(codec.error().code));
    CHECK(reply.status >= 400);
    CHECK(reply.status <= 499);
    CHECK(reply.contentType == kContentTypeProblem);
    base::Result<protocol::ErrorBody> problem = protocol::decodeErrorBody(reply.body);
    REQUIRE(problem.ok());
    CHECK(problem->code == protocol::codeName(codec.error().code));
    CHECK(problem->requestId == "req-bad");
  }
  Reply refund = f.service->refund("{}", "req-bad-refund");
  CHECK(refund.status >= 400);
  CHECK(refund.status <= 499);
  Reply identify = f.service->identify("not json", "req-bad-identify");
  CHECK(identify.status == protocol::httpStatus(ErrorCode::kMalformedJson));

  CHECK(f.outbox->pending() == 0);
  CHECK(f.core.received().empty());
}

TEST_CASE("AgentService: status reports the outbox and the deliveries", "[agent]") {
  Fixture f;
  f.core.stop();
  checkQueuedCommit(f.service->commit(encode(sampleCommit("9001")), "req-s"));
  Reply reply = f.service->status("req-status");
  REQUIRE(reply.status == 200);
  base::Result<protocol::AgentStatus> status = protocol::decodeAgentStatus(reply.body);
  REQUIRE(status.ok());
  CHECK(status->outboxPending == 1);
  CHECK(status->delivered == 0);
  CHECK(status->deadLetters == 0);
  CHECK_FALSE(status->coreReachable);
}

}  // namespace
}  // namespace loyalty::agent

// The checkout loop end to end: a till talks to a real pos-agent, which talks to a real
// loyalty-core with its SQLite file.
#include <catch2/catch.hpp>

#include "integration/daemons.h"
#include "loyalty/protocol/card.h"
#include "loyalty/protocol/codec.h"

using namespace loyalty;
using namespace loyalty::testing;

TEST_CASE("Checkout: identify, price, commit, refund and history through the agent",
          "[integration]") {
  // Both HTTP engines of the core: the event server (the default) and POCO's (used with TLS).
  const std::string engine = GENERATE(as<std::string>{}, "event", "poco");
  INFO("http.engine = " << engine);
  TempDir dir("loyalty-flow");
  CoreDaemon core(dir, "loyalty.core.http.engine = " + engine + "\n");
  core.start();
  AgentDaemon agent(dir, "agent", core.port());
  agent.start();
  auto admin = core.adminClient();
  REQUIRE(admin.importCatalogue(testCatalogueCsv()).ok());

  auto till = agent.client();
  const std::string card = protocol::cardForCustomerNumber(123);
  auto who = till.identify({card, "S001", "T1"});
  REQUIRE(who.ok());
  CHECK(who->newCustomer);
  CHECK_FALSE(who->offline);
  CHECK(who->pointsBalance == base::Points(0));

  protocol::PriceRequest price;
  price.key = {"S001", "T1", "2026-11-23", "1001"};
  price.card = card;
  price.lines = {{1, "P1", 2, base::Money(450)}, {2, "ALC1", 1, base::Money(899)},
                 {3, "P2", 3, base::Money(133)}};
  price.coupons = {"NOSUCHCOUPON"};
  auto priced = till.price(price);
  REQUIRE(priced.ok());
  CHECK(priced->subtotal == base::Money(2198));
  CHECK(priced->total == base::Money(2198));
  CHECK(priced->pointsPreview == base::Points(12));  // 12.99 eligible: beer earns nothing
  REQUIRE(priced->coupons.size() == 1);
  CHECK_FALSE(priced->coupons[0].accepted);
  // This core has no coupon keys configured: no code can be verified.
  CHECK(priced->coupons[0].reason == "coupon_unknown_key");

  protocol::CommitRequest commit;
  commit.key = price.key;
  commit.card = card;
  commit.lines = price.lines;
  commit.tenders = {{"cash", base::Money(2198)}};
  auto done = till.commit(commit);
  REQUIRE(done.ok());
  CHECK(done->status == protocol::kStatusCommitted);
  REQUIRE(done->saleId.has_value());
  CHECK(done->pointsEarned == base::Points(12));
  CHECK(done->pointsBalance == base::Points(12));
  REQUIRE(done->receipt.size() == 2);
  CHECK(done->receipt[0] == "Points earned: 12");
  CHECK(done->receipt[1] == "Points balance: 12");

  auto again = till.identify({card, "S002", "T9"});
  REQUIRE(again.ok());
  CHECK_FALSE(again->newCustomer);
  CHECK(again->pointsBalance == base::Points(12));

  protocol::RefundRequest refund;
  refund.key = {"S001", "T1", "2026-11-23", "1002"};
  refund.original = commit.key;
  refund.lines = {{1, 1}};  // one of the two 4.50 items: 12.99 -> 8.49 eligible, 12 -> 8
  auto back = till.refund(refund);
  REQUIRE(back.ok());
  CHECK(back->status == protocol::kStatusCommitted);
  CHECK(back->amountRefunded == base::Money(450));
  CHECK(back->pointsReversed == base::Points(4));
  CHECK(back->pointsBalance == base::Points(8));
  auto replay = till.refund(refund);
  REQUIRE(replay.ok());
  CHECK(protocol::encode(*replay) == protocol::encode(*back));

  auto history = admin.history(card);
  REQUIRE(history.ok());
  CHECK(history->pointsBalance == base::Points(8));
  REQUIRE(history->sales.size() == 1);
  CHECK(history->sales[0].key == commit.key);
  REQUIRE(history->sales[0].lines.size() == 3);
  CHECK(history->sales[0].lines[0].refundedQuantity == 1);
  REQUIRE(history->ledger.size() == 2);
  CHECK(history->ledger[0].kind == "earn");
  CHECK(history->ledger[0].points == base::Points(12));
  CHECK(history->ledger[1].kind == "refund");
  CHECK(history->ledger[1].points == base::Points(-4));

  auto unknown = admin.history(protocol::cardForCustomerNumber(999));
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().code == base::ErrorCode::kUnknownCustomer);
  agent.stop();
  core.stop();
}

TEST_CASE("Checkout: a till keeps selling when the core is down", "[integration]") {
  TempDir dir("loyalty-offline");
  CoreDaemon core(dir);
  core.start();
  AgentDaemon agent(dir, "agent", core.port(), 200);
  agent.start();
  core.stop();

  auto till = agent.client();
  const std::string card = protocol::cardForCustomerNumber(321);
  auto who = till.identify({card, "S001", "T1"});
  REQUIRE(who.ok());
  CHECK(who->offline);
  CHECK_FALSE(who->pointsBalance.has_value());

  protocol::CommitRequest commit;
  commit.key = {"S001", "T1", "2026-11-23", "off-1"};
  commit.card = card;
  commit.lines = {{1, "P1", 1, base::Money(1000)}};
  auto queued = till.commit(commit);
  REQUIRE(queued.ok());
  CHECK(queued->status == protocol::kStatusQueued);
  CHECK(queued->total == base::Money(1000));
  REQUIRE_FALSE(queued->receipt.empty());
  CHECK(queued->receipt[0] == "Points will be added to your card");
  CHECK(agent.outboxPending() == 1);

  core.start();
  REQUIRE(waitUntil([&] { return agent.outboxPending() == 0; }));
  auto history = core.client().history(card);
  REQUIRE(history.ok());
  CHECK(history->pointsBalance == base::Points(10));
  agent.stop();
  core.stop();
}

TEST_CASE("Checkout: the core refuses a database it cannot open, with a clear exit",
          "[integration]") {
  TempDir dir("loyalty-badconfig");
  writeFile(dir.file("core.properties"),
            "loyalty.core.http.port = 0\n"
            "loyalty.core.storage.path = no-such-dir/core.db\n");
  ChildProcess p(coreBinary(), {"--config=" + dir.file("core.properties")}, dir.file("out"));
  CHECK(p.wait() != 0);
  writeFile(dir.file("bad.properties"), "loyalty.core.http.threads = lots\n");
  ChildProcess q(coreBinary(), {"--config=" + dir.file("bad.properties")}, dir.file("out2"));
  CHECK(q.wait() == 78);  // EX_CONFIG
  CHECK(readFile(dir.file("out2")).find("loyalty.core.http.threads") != std::string::npos);
}

TEST_CASE("Checkout: the till's request id follows the call through the agent to the core",
          "[integration]") {
  TempDir dir("loyalty-request-id");
  CoreDaemon core(dir);
  core.start();
  AgentDaemon agent(dir, "agent", core.port());
  agent.start();
  // A refund of a sale the core does not know: the agent forwards it and the core refuses it, so
  // the problem body is the core's, and must carry the till's id.
  const std::string body =
      R"({"store":"S001","terminal":"T1","business_date":"2026-11-23","txn":"r-1",)"
      R"("original":{"store":"S001","terminal":"T1","business_date":"2026-11-23","txn":"none"},)"
      R"("lines":[{"line":1,"quantity":1}]})";
  auto till = agent.client();
  auto r = till.send("POST", "/v1/refund", body, "application/json", "till-42_7");
  REQUIRE(r.ok());
  CHECK(r->status == 404);
  auto error = protocol::decodeErrorBody(r->body);
  REQUIRE(error.ok());
  CHECK(error->code == "unknown_sale");
  CHECK(error->requestId == "till-42_7");
  agent.stop();
  core.stop();
}

// The checkout and idempotency acceptance paths against a real loyalty-core running the
// event-driven HTTP engine (loyalty.core.http.engine = event), directly and through a pos-agent.
#include <catch2/catch.hpp>

#include <random>
#include <thread>

#include "integration/daemons.h"
#include "loyalty/protocol/card.h"
#include "loyalty/protocol/codec.h"

using namespace loyalty;
using namespace loyalty::testing;

namespace {
const char* const kEventEngine = "loyalty.core.http.engine = event\n";
}  // namespace

TEST_CASE("EventEngine: identify, price, commit, refund and history through the agent",
          "[integration]") {
  TempDir dir("loyalty-ev-flow");
  CoreDaemon core(dir, kEventEngine);
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

TEST_CASE("EventEngine: one commit sent 10 times in a row and 10 at once is one sale",
          "[integration]") {
  TempDir dir("loyalty-ev-idem");
  CoreDaemon core(dir, kEventEngine);
  core.start();
  REQUIRE(core.adminClient().importCatalogue(testCatalogueCsv()).ok());
  std::mt19937_64 rng(5);
  const std::string card = protocol::cardForCustomerNumber(77);
  auto req = makeCommit(rng, {"S001", "T1", "2026-11-23", "dup-1"}, card, 30);
  const std::string body = protocol::encode(req);

  auto first = core.client().send("POST", "/v1/commit", body);
  REQUIRE(first.ok());
  REQUIRE(first->status == 200);
  std::vector<std::string> answers;
  auto client = core.client();
  for (int i = 0; i < 9; ++i) {
    auto r = client.send("POST", "/v1/commit", body);
    REQUIRE(r.ok());
    CHECK(r->status == 200);
    answers.push_back(r->body);
  }
  std::vector<std::string> concurrent(10);
  std::vector<int> statuses(10, 0);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < 10; ++i) {
    threads.emplace_back([&, i] {
      auto c = core.client();
      auto r = c.send("POST", "/v1/commit", body);
      if (r.ok()) {
        statuses[i] = r->status;
        concurrent[i] = r->body;
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  for (size_t i = 0; i < 10; ++i) {
    CHECK(statuses[i] == 200);
    answers.push_back(concurrent[i]);
  }
  for (const auto& a : answers) {
    CHECK(a == first->body);
  }
  DbInspector db(core.databasePath());
  CHECK(db.scalar("SELECT COUNT(*) FROM sales") == 1);
  CHECK(db.scalar("SELECT balance FROM customers") == expectedPoints(req));

  auto changed = req;
  changed.lines[0].quantity += 1;
  auto clash = client.send("POST", "/v1/commit", protocol::encode(changed));
  REQUIRE(clash.ok());
  CHECK(clash->status == 409);
  auto error = protocol::decodeErrorBody(clash->body);
  REQUIRE(error.ok());
  CHECK(error->code == "idempotency_conflict");
  // A body over the limit is 413 on this engine too, and the same client goes on.
  auto big = client.send("POST", "/v1/commit", std::string(300 * 1024, ' '));
  REQUIRE(big.ok());
  CHECK(big->status == 413);
  auto again = client.send("POST", "/v1/commit", body);
  REQUIRE(again.ok());
  CHECK(again->status == 200);
  core.stop();
}

TEST_CASE("EventEngine: refused with TLS, and an unknown engine is a configuration error",
          "[integration]") {
  TempDir dir("loyalty-ev-config");
  writeFile(dir.file("tls.properties"),
            "loyalty.core.http.port = 0\n"
            "loyalty.core.http.engine = event\n"
            "loyalty.core.tls.certificate = server.pem\n"
            "loyalty.core.tls.privateKey = server.key\n"
            "loyalty.core.tls.caCertificate = ca.pem\n");
  ChildProcess p(coreBinary(), {"--config=" + dir.file("tls.properties")}, dir.file("out"));
  CHECK(p.wait() == 78);  // EX_CONFIG
  CHECK(readFile(dir.file("out")).find("loyalty.core.http.engine") != std::string::npos);
  writeFile(dir.file("bad.properties"), "loyalty.core.http.engine = libuv\n");
  ChildProcess q(coreBinary(), {"--config=" + dir.file("bad.properties")}, dir.file("out2"));
  CHECK(q.wait() == 78);
  CHECK(readFile(dir.file("out2")).find("must be poco or event") != std::string::npos);
}

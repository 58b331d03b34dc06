// Acceptance: the same commit sent 10 times, sequentially and concurrently, gives one sale and
// identical answers.
#include <catch2/catch.hpp>

#include <random>
#include <thread>

#include "integration/daemons.h"
#include "loyalty/protocol/card.h"
#include "loyalty/protocol/codec.h"

using namespace loyalty;
using namespace loyalty::testing;

TEST_CASE("Idempotency: one commit sent 10 times in a row and 10 at once is one sale",
          "[integration]") {
  // Both HTTP engines of the core: the event server (the default) and POCO's (used with TLS).
  const std::string engine = GENERATE(as<std::string>{}, "event", "poco");
  INFO("http.engine = " << engine);
  TempDir dir("loyalty-idem");
  CoreDaemon core(dir, "loyalty.core.http.engine = " + engine + "\n");
  core.start();
  REQUIRE(core.adminClient().importCatalogue(testCatalogueCsv()).ok());
  std::mt19937_64 rng(5);
  const std::string card = protocol::cardForCustomerNumber(77);
  auto req = makeCommit(rng, {"S001", "T1", "2026-11-23", "dup-1"}, card, 30);
  const std::string body = protocol::encode(req);

  std::vector<std::string> answers;
  auto first = core.client().send("POST", "/v1/commit", body);
  REQUIRE(first.ok());
  REQUIRE(first->status == 200);
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
  auto decoded = protocol::decodeCommitResponse(first->body);
  REQUIRE(decoded.ok());
  CHECK(decoded->pointsEarned->value() == expectedPoints(req));

  DbInspector db(core.databasePath());
  CHECK(db.scalar("SELECT COUNT(*) FROM sales") == 1);
  CHECK(db.scalar("SELECT COUNT(*) FROM ledger") == (expectedPoints(req) > 0 ? 1 : 0));
  CHECK(db.scalar("SELECT balance FROM customers") == expectedPoints(req));

  // The same key with a different basket is refused and stores nothing.
  auto changed = req;
  changed.lines[0].quantity += 1;
  auto clash = client.send("POST", "/v1/commit", protocol::encode(changed));
  REQUIRE(clash.ok());
  CHECK(clash->status == 409);
  auto error = protocol::decodeErrorBody(clash->body);
  REQUIRE(error.ok());
  CHECK(error->code == "idempotency_conflict");
  CHECK(db.scalar("SELECT COUNT(*) FROM sales") == 1);
  // A body over the limit is 413, and the same client goes on.
  auto big = client.send("POST", "/v1/commit", std::string(300 * 1024, ' '));
  REQUIRE(big.ok());
  CHECK(big->status == 413);
  auto again = client.send("POST", "/v1/commit", body);
  REQUIRE(again.ok());
  CHECK(again->status == 200);
  core.stop();
}

TEST_CASE("Idempotency: replays through the agent answer like the core", "[integration]") {
  TempDir dir("loyalty-idem-agent");
  CoreDaemon core(dir);
  core.start();
  AgentDaemon agent(dir, "agent", core.port());
  agent.start();
  std::mt19937_64 rng(6);
  auto req = makeCommit(rng, {"S001", "T2", "2026-11-23", "dup-2"},
                        protocol::cardForCustomerNumber(78), 10);
  auto till = agent.client();
  auto a = till.commit(req);
  auto b = till.commit(req);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->status == protocol::kStatusCommitted);
  CHECK(protocol::encode(*a) == protocol::encode(*b));
  DbInspector db(core.databasePath());
  CHECK(db.scalar("SELECT COUNT(*) FROM sales") == 1);
  agent.stop();
  core.stop();
}

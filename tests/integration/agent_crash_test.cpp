// Acceptance: the agent killed with SIGKILL while its outbox holds queued sales loses none of
// them after restart (and delivers none twice, even when killed again while draining).
#include <catch2/catch.hpp>

#include <map>
#include <random>

#include "integration/daemons.h"
#include "loyalty/protocol/card.h"

using namespace loyalty;
using namespace loyalty::testing;

TEST_CASE("Agent crash: queued sales survive SIGKILL of the agent and arrive once",
          "[integration][slow]") {
  TempDir dir("loyalty-agent-crash");
  CoreDaemon core(dir);
  core.start();
  REQUIRE(core.adminClient().importCatalogue(testCatalogueCsv()).ok());
  core.stop();  // the core is down: every sale must queue

  AgentDaemon agent(dir, "agent", core.port(), 200);
  agent.start();
  constexpr int kSales = 300;
  std::mt19937_64 rng(99);
  std::map<std::string, int64_t> expected;
  {
    auto till = agent.client();
    for (int i = 0; i < kSales; ++i) {
      const std::string card = protocol::cardForCustomerNumber(static_cast<uint64_t>(i % 25));
      auto req = makeCommit(rng, {"S001", "T1", "2026-11-23", "q" + std::to_string(i)}, card, 20);
      expected[card] += expectedPoints(req);
      auto r = till.commit(req);
      REQUIRE(r.ok());
      CHECK(r->status == protocol::kStatusQueued);
      CHECK_FALSE(r->saleId.has_value());
      REQUIRE_FALSE(r->receipt.empty());
    }
  }
  REQUIRE(agent.outboxPending() == kSales);

  agent.kill();  // SIGKILL with everything still queued
  core.start();
  agent.start();

  // Kill it once more in the middle of draining, then let it finish.
  DbInspector db(core.databasePath());
  REQUIRE(waitUntil([&] { return db.scalar("SELECT COUNT(*) FROM sales") >= 50; },
                    std::chrono::seconds(60)));
  agent.kill();
  agent.start();
  REQUIRE(waitUntil([&] { return agent.outboxPending() == 0; }, std::chrono::seconds(120)));

  CHECK(db.scalar("SELECT COUNT(*) FROM sales") == kSales);
  db.checkBalances(expected);
  auto status = agent.client().agentStatus();
  REQUIRE(status.ok());
  CHECK(status->deadLetters == 0);
  agent.stop();
  core.stop();
}

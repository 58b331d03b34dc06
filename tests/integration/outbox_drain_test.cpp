// Acceptance: an agent delivering its outbox with many sales in flight (outbox.deliveryConcurrency)
// keeps each card's sales in order, loses none and stores none twice, even when it is killed
// with SIGKILL in the middle of the drain.
//
// Each card alternates a sale that earns 500 to 599 points with a sale paid with a 500-point
// tender (worth the whole basket, so it earns nothing): the tender is accepted only when the
// earning sale before it is already stored. A tender that overtook its sale would be refused
// (409 insufficient_points) and end as a dead letter.
#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <string>

#include "integration/daemons.h"
#include "loyalty/protocol/card.h"

using namespace loyalty;
using namespace loyalty::testing;

namespace {

// Eligible spend of 500.00 to 549.98: earns 500 to 549 points.
protocol::CommitRequest earningSale(std::mt19937_64& rng, const protocol::TransactionKey& key,
                                    const std::string& card) {
  protocol::CommitRequest c;
  c.key = key;
  c.card = card;
  int64_t total = 0;
  for (int i = 0; i < 2; ++i) {
    protocol::BasketLine l;
    l.line = i + 1;
    l.sku = "P" + std::to_string(1 + rng() % 200);
    l.quantity = 1;
    l.unitPrice = base::Money(25000 + static_cast<int64_t>(rng() % 2500));
    total += l.unitPrice.value();
    c.lines.push_back(l);
  }
  c.tenders.push_back(protocol::Tender{"card", base::Money(total)});
  return c;
}

// A 5.00 basket paid with 500 points (the programme's minimum, worth 5.00).
protocol::CommitRequest tenderSale(std::mt19937_64& rng, const protocol::TransactionKey& key,
                                   const std::string& card) {
  protocol::CommitRequest c;
  c.key = key;
  c.card = card;
  protocol::BasketLine l;
  l.line = 1;
  l.sku = "P" + std::to_string(1 + rng() % 200);
  l.quantity = 1;
  l.unitPrice = base::Money(500);
  c.lines.push_back(l);
  c.redeemPoints = base::Points(500);
  return c;
}

}  // namespace

TEST_CASE("Outbox drain: 16 in flight, killed mid-drain: each card in order, each sale once",
          "[integration][slow]") {
  TempDir dir("loyalty-outbox-drain");
  CoreDaemon core(dir);
  core.start();
  REQUIRE(core.adminClient().importCatalogue(testCatalogueCsv()).ok());
  core.stop();  // down: every sale queues

  AgentDaemon agent(dir, "agent", core.port(), 200);
  agent.setExtraConfig("loyalty.agent.outbox.deliveryConcurrency = 16\n");
  agent.start();
  constexpr int kCards = 20;
  constexpr int kRounds = 25;  // per card: earn, tender, earn, tender, ...
  std::mt19937_64 rng(2024);
  std::map<std::string, int64_t> expected;
  int sales = 0;
  {
    auto till = agent.client();
    for (int round = 0; round < kRounds; ++round) {
      for (bool tender : {false, true}) {
        for (int c = 0; c < kCards; ++c) {
          const std::string card = protocol::cardForCustomerNumber(500 + static_cast<uint64_t>(c));
          const protocol::TransactionKey key{"S001", "T1", "2026-11-24",
                                             "d" + std::to_string(sales)};
          protocol::CommitRequest req =
              tender ? tenderSale(rng, key, card) : earningSale(rng, key, card);
          expected[card] += tender ? -500 : expectedPoints(req);
          auto r = till.commit(req);
          REQUIRE(r.ok());
          CHECK(r->status == protocol::kStatusQueued);
          ++sales;
        }
      }
    }
  }
  REQUIRE(agent.outboxPending() == sales);

  core.start();
  DbInspector db(core.databasePath());
  REQUIRE(waitUntil([&] { return db.scalar("SELECT COUNT(*) FROM sales") >= sales / 4; },
                    std::chrono::seconds(60)));
  agent.kill();  // SIGKILL mid-drain: delivered but not yet removed items are sent again
  const int64_t storedAtKill = db.scalar("SELECT COUNT(*) FROM sales");
  INFO("sales stored when the agent was killed: " << storedAtKill);
  CHECK(storedAtKill < sales);  // the kill did interrupt the drain
  agent.start();
  REQUIRE(waitUntil([&] { return agent.outboxPending() == 0; }, std::chrono::seconds(120)));

  CHECK(db.scalar("SELECT COUNT(*) FROM sales") == sales);
  db.checkBalances(expected);
  auto status = agent.client().agentStatus();
  REQUIRE(status.ok());
  CHECK(status->deadLetters == 0);  // no tender overtook its earning sale
  agent.stop();
  core.stop();

  // The drain logs summary lines at information, not a line per sale.
  REQUIRE(waitUntil(
      [&] { return readFile(agent.logFile()).find("outbox empty") != std::string::npos; }));
  const std::string log = readFile(agent.logFile());
  CHECK(log.find("delivered commit") == std::string::npos);
  CHECK(log.find("delivered ") != std::string::npos);
}

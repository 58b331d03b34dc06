// Acceptance: two agents send at least 1,000 commits each while the core is killed with SIGKILL at
// least 3 times at random moments and restarted. After the outboxes drain, every sale is stored
// exactly once, and every customer's balance equals the sum of their ledger entries and equals
// the points computed here, independently, from the baskets.
#include <catch2/catch.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "integration/daemons.h"
#include "loyalty/protocol/card.h"

using namespace loyalty;
using namespace loyalty::testing;

TEST_CASE("Crash: sales survive SIGKILLs of the core, each stored exactly once",
          "[integration][slow]") {
  TempDir dir("loyalty-crash");
  CoreDaemon core(dir);
  core.start();
  {
    auto c = core.adminClient();
    auto imported = c.importCatalogue(testCatalogueCsv());
    REQUIRE(imported.ok());
    REQUIRE(imported->imported == 210);
  }
  AgentDaemon agentA(dir, "agent-a", core.port(), 250);
  AgentDaemon agentB(dir, "agent-b", core.port(), 250);
  agentA.start();
  agentB.start();

  constexpr int kPerAgent = 1000;
  constexpr int kLanesPerAgent = 2;
  constexpr int kCustomers = 60;
  std::vector<std::string> cards;
  for (int i = 0; i < kCustomers; ++i) {
    cards.push_back(protocol::cardForCustomerNumber(static_cast<uint64_t>(5000 + i)));
  }

  // Every basket is generated up front from a fixed seed: the expected points are known before
  // anything is sent.
  struct Planned {
    protocol::CommitRequest request;
    int agent;
  };
  std::vector<std::vector<Planned>> lanes(2 * kLanesPerAgent);
  std::mt19937_64 rng(424242);
  std::map<std::string, int64_t> expected;
  for (int a = 0; a < 2; ++a) {
    for (int i = 0; i < kPerAgent; ++i) {
      const int lane = a * kLanesPerAgent + i % kLanesPerAgent;
      protocol::TransactionKey key{"S00" + std::to_string(a + 1), "T" + std::to_string(lane),
                                   "2026-11-23", "txn" + std::to_string(i)};
      const std::string& card = cards[rng() % cards.size()];
      auto req = makeCommit(rng, key, card, 30);
      expected[card] += expectedPoints(req);
      lanes[static_cast<size_t>(lane)].push_back(Planned{std::move(req), a});
    }
  }

  std::atomic<int> sent{0};
  std::atomic<int> committed{0};
  std::atomic<int> queued{0};
  std::atomic<int> failed{0};
  std::mutex failureMutex;
  std::string firstFailure;
  std::vector<std::thread> tills;
  for (size_t lane = 0; lane < lanes.size(); ++lane) {
    tills.emplace_back([&, lane] {
      const AgentDaemon& agent = lanes[lane].front().agent == 0 ? agentA : agentB;
      auto client = agent.client(5000);
      for (const auto& planned : lanes[lane]) {
        auto r = client.commit(planned.request);
        if (!r.ok()) {
          ++failed;
          std::lock_guard<std::mutex> lock(failureMutex);
          if (firstFailure.empty()) {
            firstFailure = r.error().message;
          }
        } else if (r->status == protocol::kStatusCommitted) {
          ++committed;
        } else {
          ++queued;
        }
        ++sent;
      }
    });
  }

  // Kill the core at seeded random points of the run, then restart it after a short outage.
  std::mt19937_64 killRng(777);
  std::set<int> killAt;
  while (killAt.size() < 4) {
    killAt.insert(200 + static_cast<int>(killRng() % 1500));
  }
  int kills = 0;
  for (int at : killAt) {
    waitUntil([&] { return sent.load() >= at; }, std::chrono::seconds(300));
    core.kill();
    ++kills;
    // The outage lasts while the tills keep selling: wait for some sales to queue.
    const int before = sent.load();
    waitUntil([&] { return sent.load() >= before + 20 || sent.load() >= 2 * kPerAgent; },
              std::chrono::seconds(30));
    core.start();
  }
  for (auto& t : tills) {
    t.join();
  }
  INFO("first till failure: " << firstFailure);
  REQUIRE(failed.load() == 0);
  REQUIRE(kills >= 3);
  CHECK(queued.load() > 0);     // the outages were seen by the tills
  CHECK(committed.load() > 0);  // and so was the core

  REQUIRE(waitUntil([&] { return agentA.outboxPending() == 0 && agentB.outboxPending() == 0; },
                    std::chrono::seconds(180)));

  DbInspector db(core.databasePath());
  CHECK(db.scalar("SELECT COUNT(*) FROM sales") == 2 * kPerAgent);
  CHECK(db.scalar("SELECT COUNT(DISTINCT store || '/' || terminal || '/' || business_date || '/' "
                  "|| txn) FROM sales") == 2 * kPerAgent);
  // One earn entry per sale that earned, none twice.
  CHECK(db.scalar("SELECT COUNT(*) FROM (SELECT sale_id FROM ledger GROUP BY sale_id "
                  "HAVING COUNT(*) > 1)") == 0);
  db.checkBalances(expected);
  core.stop();
}

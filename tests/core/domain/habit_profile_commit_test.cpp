// Habit profiles kept by CheckoutService: updated inside each sale's commit, never by a replay,
// a failed commit or a refund; and the history import (parsing and storing).
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "domain/checkout_service.h"
#include "core/domain/checkout_fixture.h"
#include "domain/history_import.h"
#include "domain/item_id.h"
#include "storage/memory/memory_store.h"
#include "storage/sqlite/sqlite_store.h"
#include "support/faulty_store.h"
#include "support/manual_clock.h"
#include "support/test_support.h"

using namespace loyalty::core::domain;
using loyalty::base::ErrorCode;
using loyalty::base::Money;
using loyalty::base::Points;
using loyalty::core::personalization::HabitProfile;
using loyalty::core::storage::InMemoryStore;
using loyalty::testing::FaultyStore;
using loyalty::testing::ManualClock;

namespace {

const std::string kCard = "9000000000018";

struct Fixture {
  explicit Fixture(LoyaltyStore* override = nullptr)
      : service(parts.deps(override != nullptr ? *override : store, clock)) {
    catalogue.upsert({{"MILK", "Milk", "dairy/milk", ""}, {"BREAD", "Bread", "bakery", ""}});
  }
  InMemoryStore store;
  loyalty::testing::CheckoutParts parts;
  Catalogue& catalogue = parts.catalogue;
  ManualClock clock;
  CheckoutService service;

  // The stored profile of card (REQUIREs that one is stored).
  HabitProfile profile(const std::string& card = kCard) {
    auto p = service.habitProfile(card);
    REQUIRE(p.ok());
    REQUIRE(p->has_value());
    return **p;
  }
  bool hasProfile(const std::string& card = kCard) {
    auto p = service.habitProfile(card);
    REQUIRE(p.ok());
    return p->has_value();
  }
};

CommitCommand sale(const std::string& txn, std::vector<BasketItem> lines) {
  CommitCommand c;
  c.key = TxnKey{"S001", "T01", "2026-11-23", txn};
  c.card = kCard;
  c.lines = std::move(lines);
  c.fingerprint = std::hash<std::string>()(txn) ^ c.lines.size();
  return c;
}

std::string cardOf(int64_t number) { return "card-" + std::to_string(number); }

}  // namespace

TEST_CASE("ItemId: FNV-1a 64 of the sku with the top bit cleared", "[domain]") {
  CHECK(itemIdOf("") == 0x4bf29ce484222325LL);   // FNV offset basis 0xcbf2..., top bit cleared
  CHECK(itemIdOf("a") == 0x2f63dc4c8601ec8cLL);  // published FNV-1a 64 of "a": 0xaf63dc4c8601ec8c
  CHECK(itemIdOf("MILK") != itemIdOf("BREAD"));
  CHECK(itemIdOf("TF10") >= 0);
  Catalogue catalogue;
  catalogue.upsert({{"MILK", "Milk", "dairy/milk", ""}});
  CHECK(catalogue.skuOfItem(itemIdOf("MILK")) == std::optional<std::string>("MILK"));
  CHECK_FALSE(catalogue.skuOfItem(itemIdOf("BREAD")).has_value());
}

TEST_CASE("CheckoutService: a commit updates the habit profile in the same write", "[domain]") {
  Fixture f;
  REQUIRE(f.service.commit(sale("1", {{1, "MILK", 2, Money(100)}, {2, "BREAD", 1, Money(99)},
                                      {3, "MILK", 1, Money(100)}}))
              .ok());
  HabitProfile one = f.profile();
  CHECK(one.basketCount() == 1);
  REQUIRE(one.items().size() == 2);  // MILK counted once although on two lines
  REQUIRE(f.service.commit(sale("2", {{1, "MILK", 1, Money(100)}})).ok());
  HabitProfile two = f.profile();
  // Decay r = 0.85: MILK in both baskets 0.85 + 1 = 1.85; BREAD only in the first 0.85.
  CHECK(two.basketCount() == 2);
  const auto* milk = two.find(itemIdOf("MILK"));
  const auto* bread = two.find(itemIdOf("BREAD"));
  REQUIRE(milk != nullptr);
  REQUIRE(bread != nullptr);
  CHECK(milk->weight == Approx(1.85).epsilon(1e-12));
  CHECK(bread->weight == Approx(0.85).epsilon(1e-12));
  CHECK(milk->count == 2);
  CHECK(bread->count == 1);
  CHECK(milk->lastBasket == 1);
  CHECK(bread->lastBasket == 0);
}

TEST_CASE("CheckoutService: a replayed commit does not update the profile again", "[domain]") {
  Fixture f;
  auto cmd = sale("1", {{1, "MILK", 1, Money(100)}});
  REQUIRE(f.service.commit(cmd).ok());
  const std::string before = f.profile().serialize();
  auto again = f.service.commit(cmd);
  REQUIRE(again.ok());
  CHECK(again->replayed);
  CHECK(f.profile().serialize() == before);
  CHECK(f.profile().basketCount() == 1);
}

TEST_CASE("CheckoutService: a failed commit leaves the profile unchanged", "[domain]") {
  InMemoryStore inner;
  FaultyStore faulty(inner);
  Fixture f(&faulty);
  REQUIRE(f.service.commit(sale("1", {{1, "MILK", 1, Money(100)}})).ok());
  auto stored = inner.habitProfile(1);
  REQUIRE(stored.ok());
  REQUIRE(stored->has_value());
  const std::string before = **stored;

  faulty.failAfterFn = true;  // the fn runs (profile updated in the writer) but is discarded
  auto failed = f.service.commit(sale("2", {{1, "BREAD", 1, Money(99)}}));
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().code == ErrorCode::kStorageFailure);
  faulty.failAfterFn = false;
  faulty.failWrites = true;
  REQUIRE_FALSE(f.service.commit(sale("3", {{1, "BREAD", 1, Money(99)}})).ok());
  faulty.failWrites = false;

  auto after = inner.habitProfile(1);
  REQUIRE(after.ok());
  REQUIRE(after->has_value());
  CHECK(**after == before);
  // The default LoyaltyStore::habitProfile (through write()) reads the same bytes.
  auto viaWrite = faulty.habitProfile(1);
  REQUIRE(viaWrite.ok());
  CHECK(*viaWrite == *after);
}

TEST_CASE("CheckoutService: a refund leaves the profile unchanged", "[domain]") {
  Fixture f;
  REQUIRE(f.service.commit(sale("1", {{1, "MILK", 2, Money(500)}})).ok());
  const std::string before = f.profile().serialize();
  RefundCommand r;
  r.key = TxnKey{"S001", "T01", "2026-11-23", "R1"};
  r.original = TxnKey{"S001", "T01", "2026-11-23", "1"};
  r.lines = {{1, 1}};
  r.fingerprint = 9;
  REQUIRE(f.service.refund(r).ok());
  CHECK(f.profile().serialize() == before);
}

TEST_CASE("CheckoutService: a corrupt stored profile starts over instead of failing the sale",
          "[domain]") {
  Fixture f;
  REQUIRE(f.service.identify(kCard).ok());
  REQUIRE(f.store.write([](StoreWriter& w) { return w.saveHabitProfile(1, "garbage", 0); }).ok());
  REQUIRE(f.service.commit(sale("1", {{1, "MILK", 1, Money(100)}})).ok());
  CHECK(f.profile().basketCount() == 1);
}

TEST_CASE("HistoryImport: keys, dates and txn ids are deterministic", "[domain]") {
  CHECK(historyTxnOf(1, "2001-01-02") == "1_2001-01-02");
  CHECK(historyTxnOf(13858, "49") == "13858_49");
  const std::string hashed = historyTxnOf(7, "2001-01-02T10:00:00");  // ':' is not allowed
  CHECK(hashed.size() == 17);
  CHECK(hashed[0] == 'h');
  CHECK(hashed == historyTxnOf(7, "2001-01-02T10:00:00"));
  CHECK(hashed != historyTxnOf(8, "2001-01-02T10:00:00"));
  CHECK(historyTxnOf(1, std::string(40, 'k')).size() == 17);  // too long for the plain form
  CHECK(historyBusinessDateOf("2001-01-02") == "2001-01-02");
  CHECK(historyBusinessDateOf("2001-01-02T10:00:00") == "2001-01-02");
  CHECK(historyBusinessDateOf("2001-02-30") == "2000-01-01");
  CHECK(historyBusinessDateOf("2001-13-01") == "2000-01-01");
  CHECK(historyBusinessDateOf("12") == "2000-01-01");
  CHECK(historyBusinessDateOf("2001-01-02x") == "2000-01-01");
}

TEST_CASE("HistoryImport: parsing groups rows into baskets in key order", "[domain]") {
  auto batch = parseHistoryCsv(
      "customer_id,basket_key,item_id,quantity,unit_price_cents\n"
      "5,10,A,2,150\n"
      "5,9,B,1,99\n"
      "\n"
      "3,1,\"C,D\",1,0\n"
      "5,10,B,1,99\n",
      "P");
  REQUIRE(batch.ok());
  CHECK(batch->rows == 4);
  REQUIRE(batch->baskets.size() == 3);
  CHECK(batch->baskets[0].customerNumber == 5);
  CHECK(batch->baskets[0].basketKey == "9");  // 9 < 10 as integers
  CHECK(batch->baskets[1].basketKey == "10");
  REQUIRE(batch->baskets[1].lines.size() == 2);
  CHECK(batch->baskets[1].lines[0].sku == "PA");
  CHECK(batch->baskets[1].lines[0].quantity == 2);
  CHECK(batch->baskets[1].lines[0].unitPrice == Money(150));
  CHECK(batch->baskets[2].customerNumber == 3);
  CHECK(batch->baskets[2].lines[0].sku == "PC,D");
  CHECK(batch->baskets[1].key == TxnKey{"IMPORT", "HIST", "2000-01-01", "5_10"});

  auto strings = parseHistoryCsv("customer_id,basket_key,item_id\n1,b,X\n1,a10,Y\n1,a9,Z\n");
  REQUIRE(strings.ok());
  REQUIRE(strings->baskets.size() == 3);
  CHECK(strings->baskets[0].basketKey == "a10");  // as strings when a key is not an integer
  CHECK(strings->baskets[0].lines[0].sku == "TFY");
  CHECK(strings->baskets[0].lines[0].quantity == 1);
  CHECK(strings->baskets[0].lines[0].unitPrice == Money(0));
}

TEST_CASE("HistoryImport: parse errors carry the line number and import nothing", "[domain]") {
  struct Case {
    std::string csv;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"customer,basket,item\n1,1,1\n", "line 1:"},
      {"customer_id,basket_key,item_id\n1,1,1\n-1,1,1\n", "line 3: customer_id"},
      {"customer_id,basket_key,item_id\n99999999999,1,1\n", "line 2: customer_id"},
      {"customer_id,basket_key,item_id\nx,1,1\n", "line 2: customer_id"},
      {"customer_id,basket_key,item_id\n1,1\n", "line 2: expected 3 fields"},
      {"customer_id,basket_key,item_id\n1,,1\n", "line 2: basket_key"},
      {"customer_id,basket_key,item_id\n1,1,\n", "line 2: empty item_id"},
      {"customer_id,basket_key,item_id\n1,1,a b\n", "line 2: sku"},
      {"customer_id,basket_key,item_id\n1,1,\"open\n", "line 2: malformed"},
      {"customer_id,basket_key,item_id,quantity,unit_price_cents\n1,1,1,0,5\n",
       "line 2: quantity"},
      {"customer_id,basket_key,item_id,quantity,unit_price_cents\n1,1,1,1,-5\n",
       "line 2: unit_price_cents"},
      {"customer_id,basket_key,item_id,quantity,unit_price_cents\n1,1,1,1.5,5\n",
       "line 2: quantity"},
  };
  for (const Case& c : cases) {
    INFO(c.csv);
    auto batch = parseHistoryCsv(c.csv);
    REQUIRE_FALSE(batch.ok());
    CHECK(batch.error().code == ErrorCode::kInvalidCsv);
    CHECK(batch.error().message.rfind(c.message, 0) == 0);
  }
  std::string tooMany = "customer_id,basket_key,item_id\n";
  for (size_t i = 0; i <= kMaxHistoryRows; ++i) {
    tooMany += "1,1," + std::to_string(i) + "\n";
  }
  auto big = parseHistoryCsv(tooMany);
  REQUIRE_FALSE(big.ok());
  CHECK(big.error().message.rfind("line " + std::to_string(kMaxHistoryRows + 2) + ":", 0) == 0);
  auto badPrefix = parseHistoryCsv("customer_id,basket_key,item_id\n1,1,1\n", "a b");
  REQUIRE_FALSE(badPrefix.ok());
  CHECK(badPrefix.error().code == ErrorCode::kInvalidValue);

  // The service is never reached with a bad file: nothing stored.
  Fixture f;
  CHECK_FALSE(f.store.findCustomer(cardOf(1))->has_value());
}

TEST_CASE("CheckoutService: imported history earns nothing, builds profiles, and is idempotent",
          "[domain]") {
  Fixture f;
  // Customer 1's baskets arrive out of order in the file; the profile sees them by key.
  auto batch = parseHistoryCsv(
      "customer_id,basket_key,item_id,quantity,unit_price_cents\n"
      "1,2001-01-02,MILK,1,100\n"
      "1,2001-01-01,BREAD,2,250\n"
      "1,2001-01-01,MILK,1,100\n"
      "2,1,MILK,1,100\n",
      "");
  REQUIRE(batch.ok());
  auto first = f.service.importHistory(*batch, cardOf);
  REQUIRE(first.ok());
  CHECK(first->importedBaskets == 3);
  CHECK(first->skippedExisting == 0);

  auto customer = f.store.findCustomer(cardOf(1));
  REQUIRE(customer.ok());
  REQUIRE(customer->has_value());
  CHECK((*customer)->balance == Points(0));
  CHECK(f.store.ledgerOf((*customer)->id)->empty());
  auto sales = f.store.salesOf((*customer)->id, 10);
  REQUIRE(sales.ok());
  REQUIRE(sales->size() == 2);
  const Sale& older = sales->back();  // newest first
  CHECK(older.key == TxnKey{"IMPORT", "HIST", "2001-01-01", "1_2001-01-01"});
  CHECK(older.total == Money(600));
  CHECK(older.pointsEarned == Points(0));
  REQUIRE(older.lines.size() == 2);
  CHECK_FALSE(older.lines[0].earns);

  // Older basket first: BREAD 0.85, MILK 0.85 + 1.
  HabitProfile profile = f.profile(cardOf(1));
  CHECK(profile.basketCount() == 2);
  CHECK(profile.find(itemIdOf("MILK"))->weight == Approx(1.85).epsilon(1e-12));
  CHECK(profile.find(itemIdOf("BREAD"))->weight == Approx(0.85).epsilon(1e-12));
  CHECK(f.profile(cardOf(2)).basketCount() == 1);

  // The same file again: every basket skipped, nothing changes.
  const std::string before = profile.serialize();
  auto again = f.service.importHistory(*batch, cardOf);
  REQUIRE(again.ok());
  CHECK(again->importedBaskets == 0);
  CHECK(again->skippedExisting == 3);
  CHECK(f.profile(cardOf(1)).serialize() == before);
  CHECK(f.store.salesOf((*customer)->id, 10)->size() == 2);

  // A refund of an imported sale reverses no points.
  RefundCommand r;
  r.key = TxnKey{"S001", "T01", "2026-11-23", "R1"};
  r.original = older.key;
  r.lines = {{1, 1}};
  auto refunded = f.service.refund(r);
  REQUIRE(refunded.ok());
  CHECK(refunded->refund.pointsReversed == Points(0));
  CHECK(refunded->refund.amount == Money(250));
}

TEST_CASE("CheckoutService: a failed history import stores nothing", "[domain]") {
  InMemoryStore inner;
  FaultyStore faulty(inner);
  Fixture f(&faulty);
  auto batch = parseHistoryCsv("customer_id,basket_key,item_id\n1,1,1\n1,2,2\n");
  REQUIRE(batch.ok());
  faulty.failAfterFn = true;
  auto failed = f.service.importHistory(*batch, cardOf);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().code == ErrorCode::kStorageFailure);
  CHECK_FALSE(inner.findCustomer(cardOf(1))->has_value());
  faulty.failAfterFn = false;
  auto ok = f.service.importHistory(*batch, cardOf);
  REQUIRE(ok.ok());
  CHECK(ok->importedBaskets == 2);
}

// Hidden benchmark (not run by ctest): the added cost of the profile update per commit, for two
// synthetic shoppers: "habitual" draws each of 12 lines from a personal repertoire of 40 items
// with probability 0.8, else from 3000 items (profiles stay near TaFeng's size, ~50 items);
// "random" draws every line from 3000 items, so profiles sit at their 200-item capacity and every
// update evicts (the worst case). Run: tests_core_domain "[.bench]" (RelWithDebInfo).
TEST_CASE("Bench: profile update cost per commit", "[.bench]") {
  using Clock = std::chrono::steady_clock;
  const int kShoppers = 1000;
  const int kBaskets = 40;
  for (const bool habitual : {true, false}) {
    std::vector<std::string> stored(kShoppers);
    uint64_t state = 42;
    auto next = [&state] {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      return state >> 33;
    };
    std::vector<SaleLine> lines(12);
    double updateNs = 0;
    double fullNs = 0;
    size_t items = 0;
    int64_t n = 0;
    for (int b = 0; b < kBaskets; ++b) {
      for (int s = 0; s < kShoppers; ++s) {
        for (auto& line : lines) {
          const bool own = habitual && next() % 10 < 8;
          line.sku = own ? "TF" + std::to_string(5000 + s * 40 + static_cast<int>(next() % 40))
                         : "TF" + std::to_string(next() % 3000);
        }
        auto t0 = Clock::now();
        // What commit() adds: deserialize, update, serialize (the save is one statement).
        HabitProfile p = stored[s].empty() ? HabitProfile()
                                           : HabitProfile::deserialize(stored[s]).value();
        auto t1 = Clock::now();
        p.update(profileBasketOf(lines));
        auto t2 = Clock::now();
        stored[s] = p.serialize();
        auto t3 = Clock::now();
        if (b >= kBaskets / 2) {
          updateNs += std::chrono::duration<double, std::nano>(t2 - t1).count();
          fullNs += std::chrono::duration<double, std::nano>(t3 - t0).count();
          items += p.items().size();
          ++n;
        }
      }
    }
    std::printf("%s shoppers, 12-line baskets 21..40: %.0f items kept on average; update %.2f us,"
                " deserialize+update+serialize %.2f us per commit (n=%lld)\n",
                habitual ? "habitual" : "random", static_cast<double>(items) / n,
                updateNs / static_cast<double>(n) / 1000, fullNs / static_cast<double>(n) / 1000,
                static_cast<long long>(n));
    CHECK(n == static_cast<int64_t>(kShoppers) * (kBaskets / 2));
  }
}

// Hidden benchmark (not run by ctest): the profile's share of a commit on SQLite. Customers get
// 20 baskets of 12 lines through CheckoutService::commit; then, per customer, the profile work a
// commit adds inside the writer (find + deserialize + update + serialize + save) is timed in one
// write, next to the mean latency of a whole sequential commit (synchronous=NORMAL, no fsync).
// Shoppers are "habitual" as in the benchmark above.
TEST_CASE("Bench: profile share of a commit on SQLite", "[.bench]") {
  using Clock = std::chrono::steady_clock;
  loyalty::testing::TempDir dir("loyalty-bench");
  loyalty::core::storage::SqliteOptions options;
  options.path = dir.file("bench.db");
  options.synchronousFull = false;
  auto opened = loyalty::core::storage::SqliteStore::open(options);
  REQUIRE(opened.ok());
  auto& store = **opened;
  loyalty::testing::CheckoutParts parts;
  ManualClock clock;
  CheckoutService service(parts.deps(store, clock));
  const int kCustomers = 500;
  const int kBaskets = 20;
  uint64_t state = 7;
  auto next = [&state] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return state >> 33;
  };
  double commitNs = 0;
  int64_t commits = 0;
  for (int b = 0; b < kBaskets; ++b) {
    for (int c = 0; c < kCustomers; ++c) {
      CommitCommand cmd;
      cmd.key = TxnKey{"S1", "T1", "2026-11-23", std::to_string(b) + "-" + std::to_string(c)};
      cmd.card = "card" + std::to_string(c);
      for (int l = 1; l <= 12; ++l) {
        const std::string sku = next() % 10 < 8
                                    ? "TF" + std::to_string(5000 + c * 40 + (next() % 40))
                                    : "TF" + std::to_string(next() % 3000);
        cmd.lines.push_back({l, sku, 1, Money(100)});
      }
      auto t0 = Clock::now();
      REQUIRE(service.commit(cmd).ok());
      commitNs += std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
      ++commits;
    }
  }
  std::vector<SaleLine> lines(12);
  double profileNs = 0;
  Status s = store.write([&](StoreWriter& w) -> Status {
    for (int64_t id = 1; id <= kCustomers; ++id) {
      for (auto& line : lines) {
        line.sku = next() % 10 < 8 ? "TF" + std::to_string(5000 + (id - 1) * 40 + (next() % 40))
                                   : "TF" + std::to_string(next() % 3000);
      }
      auto t0 = Clock::now();
      auto p = loadHabitProfile(w, id, loyalty::core::personalization::ProfileParams());
      REQUIRE(p.ok());
      p->update(profileBasketOf(lines));
      REQUIRE(w.saveHabitProfile(id, p->serialize(), 0).ok());
      profileNs += std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
    }
    return Status();
  });
  REQUIRE(s.ok());
  std::printf("SQLite: whole commit (sequential, 12 lines) %.1f us mean over %lld; profile work "
              "inside the writer %.1f us mean over %d (profiles after %d baskets)\n",
              commitNs / static_cast<double>(commits) / 1000, static_cast<long long>(commits),
              profileNs / kCustomers / 1000, kCustomers, kBaskets);
  CHECK(commits == kCustomers * kBaskets);
}

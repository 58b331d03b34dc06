#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <thread>

#include "domain/checkout_service.h"
#include "core/domain/checkout_fixture.h"
#include "storage/memory/memory_store.h"
#include "support/faulty_store.h"
#include "support/manual_clock.h"

using namespace loyalty::core::domain;
using loyalty::base::ErrorCode;
using loyalty::base::Money;
using loyalty::base::Points;
using loyalty::core::storage::InMemoryStore;
using loyalty::testing::FaultyStore;
using loyalty::testing::ManualClock;

namespace {

const std::string kCard = "9000000000018";
const std::string kOtherCard = "9000000000026";

struct Fixture {
  explicit Fixture(LoyaltyStore* override = nullptr)
      : service(parts.deps(override != nullptr ? *override : store, clock)) {
    catalogue.upsert({{"BEER", "Beer", "alcohol/beer", ""},
                      {"MILK", "Milk", "dairy/milk", ""},
                      {"BREAD", "Bread", "bakery", ""}});
  }
  InMemoryStore store;
  loyalty::testing::CheckoutParts parts;
  Catalogue& catalogue = parts.catalogue;
  ManualClock clock;
  CheckoutService service;

  Points ledgerSum(const std::string& card) {
    auto c = store.findCustomer(card);
    REQUIRE(c.ok());
    REQUIRE(c->has_value());
    auto ledger = store.ledgerOf((*c)->id);
    REQUIRE(ledger.ok());
    Points sum;
    for (const auto& e : *ledger) {
      sum += e.points;
    }
    return sum;
  }
  Points balance(const std::string& card) {
    auto c = store.findCustomer(card);
    REQUIRE(c.ok());
    REQUIRE(c->has_value());
    return (*c)->balance;
  }
};

TxnKey key(const std::string& txn) { return TxnKey{"S001", "T01", "2026-11-23", txn}; }

CommitCommand sale(const std::string& txn, std::vector<BasketItem> lines,
                   const std::string& card = kCard) {
  CommitCommand c;
  c.key = key(txn);
  c.card = card;
  c.lines = std::move(lines);
  // Any function of the content will do for the service; the wire uses protocol::fingerprint.
  uint64_t fp = 1469598103934665603ULL;
  for (const auto& l : c.lines) {
    fp = (fp ^ static_cast<uint64_t>(l.line * 31 + l.quantity * 7 + l.unitPrice.value())) *
         1099511628211ULL;
  }
  c.fingerprint = fp;
  return c;
}

RefundCommand refund(const std::string& txn, const std::string& originalTxn,
                     std::vector<RefundedLine> lines, uint64_t fp = 7) {
  RefundCommand r;
  r.key = key(txn);
  r.original = key(originalTxn);
  r.lines = std::move(lines);
  r.fingerprint = fp;
  return r;
}

}  // namespace

TEST_CASE("CheckoutService: identify enrols an unknown card once", "[domain]") {
  Fixture f;
  auto first = f.service.identify(kCard);
  REQUIRE(first.ok());
  CHECK(first->enrolled);
  CHECK(first->customer.balance == Points(0));
  auto second = f.service.identify(kCard);
  REQUIRE(second.ok());
  CHECK_FALSE(second->enrolled);
  CHECK(second->customer.id == first->customer.id);
}

TEST_CASE("CheckoutService: price previews totals and points without storing", "[domain]") {
  Fixture f;
  PriceCommand cmd;
  cmd.key = key("p1");
  cmd.card = kCard;
  cmd.lines = {{1, "MILK", 2, Money(149)}, {2, "BEER", 6, Money(120)}};
  auto r = f.service.price(cmd);
  REQUIRE(r.ok());
  CHECK(r->subtotal == Money(1018));
  CHECK(r->total == Money(1018));
  CHECK(r->pointsPreview == Points(2));  // beer is excluded: 2.98 earns 2
  CHECK_FALSE(f.store.findCustomer(kCard)->has_value());
}

TEST_CASE("CheckoutService: a commit enrols, stores the sale and earns points", "[domain]") {
  Fixture f;
  auto r = f.service.commit(sale("1", {{1, "MILK", 3, Money(250)}, {2, "BREAD", 1, Money(99)},
                                       {3, "BEER", 1, Money(1000)}}));
  REQUIRE(r.ok());
  CHECK_FALSE(r->replayed);
  CHECK(r->sale.total == Money(1849));
  CHECK(r->sale.pointsEarned == Points(8));  // 8.49 eligible
  CHECK(r->sale.balanceAfter == Points(8));
  CHECK(f.balance(kCard) == Points(8));
  CHECK(f.ledgerSum(kCard) == Points(8));
  auto second = f.service.commit(sale("2", {{1, "MILK", 4, Money(250)}}));
  REQUIRE(second.ok());
  CHECK(second->sale.balanceAfter == Points(18));
  CHECK(f.ledgerSum(kCard) == f.balance(kCard));
}

TEST_CASE("CheckoutService: a replayed commit returns the first answer and changes nothing",
          "[domain]") {
  Fixture f;
  auto cmd = sale("1", {{1, "MILK", 3, Money(250)}});
  auto first = f.service.commit(cmd);
  REQUIRE(first.ok());
  f.clock.advanceMs(60'000);
  auto again = f.service.commit(cmd);
  REQUIRE(again.ok());
  CHECK(again->replayed);
  CHECK(again->sale.id == first->sale.id);
  CHECK(again->sale.balanceAfter == first->sale.balanceAfter);
  CHECK(again->sale.createdAtMs == first->sale.createdAtMs);
  CHECK(f.balance(kCard) == Points(7));
  auto sales = f.store.salesOf(first->sale.customerId, 10);
  REQUIRE(sales.ok());
  CHECK(sales->size() == 1);
}

TEST_CASE("CheckoutService: a key reused with another basket is a conflict", "[domain]") {
  Fixture f;
  REQUIRE(f.service.commit(sale("1", {{1, "MILK", 3, Money(250)}})).ok());
  auto clash = f.service.commit(sale("1", {{1, "MILK", 4, Money(250)}}));
  REQUIRE_FALSE(clash.ok());
  CHECK(clash.error().code == ErrorCode::kIdempotencyConflict);
  CHECK(f.balance(kCard) == Points(7));
  // A refund cannot take a sale's key either, nor a sale a refund's key.
  auto r = f.service.refund(refund("1", "1", {{1, 1}}));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::kIdempotencyConflict);
  REQUIRE(f.service.refund(refund("R1", "1", {{1, 1}})).ok());
  auto s = f.service.commit(sale("R1", {{1, "MILK", 1, Money(250)}}));
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == ErrorCode::kIdempotencyConflict);
}

TEST_CASE("CheckoutService: partial refunds reverse points pro rata, never more than earned",
          "[domain]") {
  Fixture f;
  // 10 x 0.99 = 9.90 eligible -> 9 points.
  REQUIRE(f.service.commit(sale("1", {{1, "MILK", 10, Money(99)}, {2, "BEER", 2, Money(500)}}))
              .ok());
  CHECK(f.balance(kCard) == Points(9));

  auto r1 = f.service.refund(refund("R1", "1", {{1, 3}}, 1));  // 9.90 -> 6.93: 9 - 6 = 3
  REQUIRE(r1.ok());
  CHECK(r1->refund.amount == Money(297));
  CHECK(r1->refund.pointsReversed == Points(3));
  CHECK(r1->refund.balanceAfter == Points(6));

  auto beer = f.service.refund(refund("R2", "1", {{2, 2}}, 2));  // beer earned nothing
  REQUIRE(beer.ok());
  CHECK(beer->refund.amount == Money(1000));
  CHECK(beer->refund.pointsReversed == Points(0));

  auto r3 = f.service.refund(refund("R3", "1", {{1, 7}}, 3));  // the rest: 6 - 0
  REQUIRE(r3.ok());
  CHECK(r3->refund.pointsReversed == Points(6));
  CHECK(f.balance(kCard) == Points(0));
  CHECK(f.ledgerSum(kCard) == Points(0));

  auto more = f.service.refund(refund("R4", "1", {{1, 1}}, 4));
  REQUIRE_FALSE(more.ok());
  CHECK(more.error().code == ErrorCode::kRefundExceedsSale);
}

TEST_CASE("CheckoutService: a replayed refund changes nothing", "[domain]") {
  Fixture f;
  REQUIRE(f.service.commit(sale("1", {{1, "MILK", 10, Money(100)}})).ok());
  auto first = f.service.refund(refund("R1", "1", {{1, 5}}, 11));
  REQUIRE(first.ok());
  auto again = f.service.refund(refund("R1", "1", {{1, 5}}, 11));
  REQUIRE(again.ok());
  CHECK(again->replayed);
  CHECK(again->refund.id == first->refund.id);
  CHECK(again->refund.pointsReversed == Points(5));
  CHECK(f.balance(kCard) == Points(5));
  auto different = f.service.refund(refund("R1", "1", {{1, 4}}, 12));
  REQUIRE_FALSE(different.ok());
  CHECK(different.error().code == ErrorCode::kIdempotencyConflict);
}

TEST_CASE("CheckoutService: bad refunds are refused and change nothing", "[domain]") {
  Fixture f;
  REQUIRE(f.service.commit(sale("1", {{1, "MILK", 2, Money(500)}, {2, "BREAD", 1, Money(300)}}))
              .ok());
  struct Case {
    RefundCommand cmd;
    ErrorCode code;
  };
  std::vector<Case> cases = {
      {refund("R1", "404", {{1, 1}}), ErrorCode::kUnknownSale},
      {refund("R2", "1", {{9, 1}}), ErrorCode::kUnknownLine},
      {refund("R3", "1", {{1, 3}}), ErrorCode::kRefundExceedsSale},
      {refund("R4", "1", {{2, 1}, {2, 1}}), ErrorCode::kDuplicateLine},
      // The first line is fine, the second is not: nothing of the first may stay.
      {refund("R5", "1", {{2, 1}, {1, 5}}), ErrorCode::kRefundExceedsSale},
  };
  for (auto& c : cases) {
    auto r = f.service.refund(c.cmd);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == c.code);
  }
  CHECK(f.balance(kCard) == Points(13));
  auto c = f.store.findCustomer(kCard);
  auto sales = f.store.salesOf((*c)->id, 10);
  REQUIRE(sales.ok());
  for (const auto& l : (*sales)[0].lines) {
    CHECK(l.refundedQuantity == 0);
  }
}

TEST_CASE("CheckoutService: storage failures surface and store nothing", "[domain]") {
  InMemoryStore inner;
  FaultyStore faulty(inner);
  loyalty::testing::CheckoutParts parts;
  ManualClock clock;
  CheckoutService service(parts.deps(faulty, clock));
  faulty.failAfterFn = true;
  auto r = service.commit(sale("1", {{1, "MILK", 2, Money(500)}}));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::kStorageFailure);
  CHECK_FALSE(inner.findCustomer(kCard)->has_value());
  faulty.failAfterFn = false;
  faulty.failWrites = true;
  auto id = service.identify(kCard);
  REQUIRE_FALSE(id.ok());
  CHECK(id.error().code == ErrorCode::kStorageFailure);
  faulty.failWrites = false;
  REQUIRE(service.commit(sale("1", {{1, "MILK", 2, Money(500)}})).ok());
  CHECK((*inner.findCustomer(kCard))->balance == Points(10));
}

TEST_CASE("CheckoutService: concurrent commits of one key store one sale", "[domain]") {
  Fixture f;
  auto cmd = sale("1", {{1, "MILK", 3, Money(250)}});
  std::vector<std::thread> threads;
  std::vector<int64_t> ids(16, 0);
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&, i] {
      auto r = f.service.commit(cmd);
      ids[static_cast<size_t>(i)] = r.ok() ? r->sale.id : -1;
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  for (auto id : ids) {
    CHECK(id == ids[0]);
  }
  CHECK(ids[0] > 0);
  CHECK(f.balance(kCard) == Points(7));
}

TEST_CASE("CheckoutService: ledger invariants hold over a seeded random day", "[domain]") {
  Fixture f;
  std::mt19937_64 rng(20261123);
  const std::vector<std::string> cards = {kCard, kOtherCard, "9000000000034", "9000000000042"};
  const std::vector<std::string> skus = {"MILK", "BREAD", "BEER", "OTHER"};
  struct Stored {
    std::string txn;
    std::string card;
    std::vector<BasketItem> lines;
    std::vector<int64_t> returned;
  };
  std::vector<Stored> sales;
  std::map<std::string, int64_t> expected;  // card -> independently computed balance
  auto eligibleOf = [&](const Stored& s) {
    int64_t sum = 0;
    for (size_t i = 0; i < s.lines.size(); ++i) {
      if (s.lines[i].sku != "BEER") {
        sum += s.lines[i].unitPrice.value() * (s.lines[i].quantity - s.returned[i]);
      }
    }
    return sum / 100;
  };
  for (int op = 0; op < 400; ++op) {
    if (sales.empty() || rng() % 3 != 0) {
      Stored s;
      s.txn = "t" + std::to_string(op);
      s.card = cards[rng() % cards.size()];
      const int n = 1 + static_cast<int>(rng() % 6);
      for (int i = 0; i < n; ++i) {
        s.lines.push_back({i + 1, skus[rng() % skus.size()], 1 + static_cast<int64_t>(rng() % 4),
                           Money(static_cast<int64_t>(rng() % 2000))});
      }
      s.returned.assign(s.lines.size(), 0);
      auto r = f.service.commit(sale(s.txn, s.lines, s.card));
      REQUIRE(r.ok());
      expected[s.card] += eligibleOf(s);
      CHECK(r->sale.balanceAfter == Points(expected[s.card]));
      sales.push_back(std::move(s));
    } else {
      Stored& s = sales[rng() % sales.size()];
      size_t i = rng() % s.lines.size();
      int64_t left = s.lines[i].quantity - s.returned[i];
      if (left == 0) {
        continue;
      }
      int64_t q = 1 + static_cast<int64_t>(rng() % static_cast<uint64_t>(left));
      const int64_t before = eligibleOf(s);
      auto r = f.service.refund(
          refund("r" + std::to_string(op), s.txn, {{s.lines[i].line, q}},
                 static_cast<uint64_t>(op)));
      REQUIRE(r.ok());
      s.returned[i] += q;
      expected[s.card] -= before - eligibleOf(s);
      CHECK(r->refund.balanceAfter == Points(expected[s.card]));
    }
  }
  for (const auto& card : cards) {
    if (expected.count(card) == 0) {
      continue;
    }
    CHECK(f.balance(card) == Points(expected[card]));
    CHECK(f.ledgerSum(card) == Points(expected[card]));
    CHECK(f.balance(card).value() >= 0);
  }
}

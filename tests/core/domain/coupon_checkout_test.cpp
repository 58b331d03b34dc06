// Coupons, the points tender, tiers, clawback and expiry through CheckoutService, on the in-memory
// store with fake coupon codes (checkout_fixture.h). The real signed codes, SQLite and the HTTP
// path are covered by tests/integration/coupon_flow_test.cpp.
#include <catch2/catch.hpp>

#include <atomic>
#include <functional>
#include <set>
#include <map>
#include <thread>

#include "core/domain/checkout_fixture.h"
#include "domain/checkout_service.h"
#include "domain/offers/coupon_flow.h"
#include "domain/offers/expiry.h"
#include "domain/offers/preview.h"
#include "storage/memory/memory_store.h"
#include "support/manual_clock.h"

using namespace loyalty::core::domain;
using loyalty::base::ErrorCode;
using loyalty::base::Money;
using loyalty::base::Points;
using loyalty::core::storage::InMemoryStore;
using loyalty::testing::ManualClock;
namespace offers = loyalty::offers;

namespace {

const std::string kCard = "9000000000018";
const std::string kOtherCard = "9000000000026";
const std::string kToday = "2026-11-23";
constexpr int64_t kNoon = 1'795'435'200'000;  // 2026-11-23T12:00:00Z

struct Shop {
  Shop() : service(parts.deps(store, clock)) {
    clock.setMs(kNoon);
    parts.catalogue.upsert({{"MILK", "Milk", "dairy/milk", "Farm"},
                            {"CHEESE", "Cheese", "dairy/cheese", "Farm"},
                            {"BREAD", "Bread", "bakery", ""},
                            {"BEER", "Beer", "alcohol/beer", ""}});
  }

  InMemoryStore store;
  loyalty::testing::CheckoutParts parts;
  ManualClock clock;
  CheckoutService service;

  Campaign campaign(offers::Reward reward, CampaignStatus status = CampaignStatus::kActive) {
    Campaign c;
    c.name = "test";
    c.reward = std::move(reward);
    c.status = status;
    c.capPerVisit = 1;
    return c;
  }
  int64_t create(Campaign c) {
    Campaign created;
    Status s = store.write([&](StoreWriter& w) -> Status {
      auto r = createCampaign(w, c, clock.nowMs());
      if (!r.ok()) {
        return r.error();
      }
      created = *r;
      return Status();
    });
    REQUIRE(s.ok());
    REQUIRE(parts.campaigns.reload(store).ok());
    return created.id;
  }
  std::vector<std::string> issue(int64_t campaignId, const std::vector<std::string>& cards) {
    std::vector<std::string> codes;
    Status s = store.write([&](StoreWriter& w) -> Status {
      auto r = issueCoupons(w, parts.keys, campaignId, cards, kToday, clock.nowMs());
      if (!r.ok()) {
        return r.error();
      }
      for (const auto& i : *r) {
        codes.push_back(i.coupon.code);
      }
      return Status();
    });
    REQUIRE(s.ok());
    return codes;
  }
  void setStatus(int64_t id, CampaignStatus status) {
    Status s = store.write([&](StoreWriter& w) -> Status {
      auto r = setCampaignStatus(w, id, status, clock.nowMs());
      return r.ok() ? Status() : Status(r.error());
    });
    REQUIRE(s.ok());
    REQUIRE(parts.campaigns.reload(store).ok());
  }
  Customer customer(const std::string& card = kCard) {
    auto c = store.findCustomer(card);
    REQUIRE(c.ok());
    REQUIRE(c->has_value());
    return **c;
  }
  Points ledgerSum(const std::string& card = kCard) {
    auto ledger = store.ledgerOf(customer(card).id);
    REQUIRE(ledger.ok());
    Points sum;
    for (const auto& e : *ledger) {
      sum += e.points;
    }
    return sum;
  }
  void setProgramme(const std::function<void(Programme&)>& change) {
    Programme p = *parts.programme.get();
    change(p);
    REQUIRE(validate(p).ok());
    parts.programme.set(p);
  }
};

TxnKey key(const std::string& txn, const std::string& terminal = "T01") {
  return TxnKey{"S001", terminal, kToday, txn};
}

PriceCommand priceOf(const std::string& txn, std::vector<BasketItem> lines,
                     std::vector<std::string> coupons, const std::string& terminal = "T01") {
  PriceCommand p;
  p.key = key(txn, terminal);
  p.card = kCard;
  p.lines = std::move(lines);
  p.coupons = std::move(coupons);
  return p;
}

CommitCommand commitOf(const std::string& txn, std::vector<BasketItem> lines,
                       std::vector<std::string> coupons, const std::string& terminal = "T01") {
  CommitCommand c;
  c.key = key(txn, terminal);
  c.card = kCard;
  c.lines = std::move(lines);
  c.coupons = std::move(coupons);
  c.fingerprint = std::hash<std::string>()(terminal + txn) ^ c.coupons.size();
  return c;
}

offers::Reward amountOff(const std::string& sku, int64_t minor) {
  offers::Reward r;
  r.kind = offers::RewardKind::kAmountOff;
  r.target = offers::TargetKind::kSku;
  r.value = sku;
  r.amount = Money(minor);
  return r;
}

offers::Reward bonusPoints(const std::string& category, int64_t points) {
  offers::Reward r;
  r.kind = offers::RewardKind::kBonusPoints;
  r.target = offers::TargetKind::kCategory;
  r.value = category;
  r.points = Points(points);
  return r;
}

const std::vector<BasketItem> kBasket{{1, "MILK", 2, Money(150)}, {2, "BREAD", 1, Money(200)}};

}  // namespace

TEST_CASE("Coupons: price reserves, commit redeems, a second use is refused", "[domain][coupons]") {
  Shop shop;
  const int64_t id = shop.create(shop.campaign(amountOff("MILK", 50)));
  const std::string code = shop.issue(id, {kCard}).front();

  auto priced = shop.service.price(priceOf("1", kBasket, {code}));
  REQUIRE(priced.ok());
  REQUIRE(priced->coupons.size() == 1);
  CHECK(priced->coupons[0].accepted);
  CHECK(priced->coupons[0].discount == Money(50));
  CHECK(priced->subtotal == Money(500));
  CHECK(priced->total == Money(450));
  CHECK(priced->pointsPreview == Points(4));  // 4.50 eligible after the discount

  // Another till cannot take it while the reservation holds.
  auto other = shop.service.price(priceOf("9", kBasket, {code}, "T02"));
  REQUIRE(other.ok());
  CHECK_FALSE(other->coupons[0].accepted);
  CHECK(other->coupons[0].reason == "coupon_reserved");
  CHECK_FALSE(other->coupons[0].message.empty());

  auto committed = shop.service.commit(commitOf("1", kBasket, {code}));
  REQUIRE(committed.ok());
  CHECK(committed->sale.total == Money(450));
  CHECK(committed->sale.pointsEarned == Points(4));
  REQUIRE(committed->discounts.size() == 1);
  CHECK(committed->discounts[0].coupon == code);

  // Online, a coupon that is not redeemable fails the commit and stores nothing.
  auto again = shop.service.commit(commitOf("2", kBasket, {code}, "T02"));
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == ErrorCode::kCouponUnavailable);
  CHECK(shop.store.write([](StoreWriter& w) -> Status {
                  auto found = w.findSale(key("2", "T02"));
                  CHECK_FALSE(found.value().has_value());
                  return Status();
                }).ok());
  auto repriced = shop.service.price(priceOf("3", kBasket, {code}));
  REQUIRE(repriced.ok());
  CHECK(repriced->coupons[0].reason == "coupon_already_redeemed");

  // The replay of the first commit answers the same, without a second redemption.
  auto replay = shop.service.commit(commitOf("1", kBasket, {code}));
  REQUIRE(replay.ok());
  CHECK(replay->replayed);
  CHECK(replay->sale.id == committed->sale.id);
  CHECK(replay->discounts.size() == 1);
  auto redemptions = shop.store.write([&](StoreWriter& w) -> Status {
    auto r = w.redemptionsOfSale(committed->sale.id);
    REQUIRE(r.ok());
    CHECK(r->size() == 1);
    return Status();
  });
  CHECK(redemptions.ok());
  CHECK((*shop.store.findCampaign(id))->redeemedCount == 1);
  CHECK(shop.ledgerSum() == shop.customer().balance);
}

TEST_CASE("Coupons: every refusal has its own reason", "[domain][coupons]") {
  Shop shop;
  const int64_t milk = shop.create(shop.campaign(amountOff("MILK", 50)));
  const int64_t cheese = shop.create(shop.campaign(amountOff("CHEESE", 50)));
  const int64_t paused = shop.create(shop.campaign(amountOff("MILK", 10)));
  const std::string mine = shop.issue(milk, {kCard}).front();
  const std::string theirs = shop.issue(milk, {kOtherCard}).front();
  const std::string needsCheese = shop.issue(cheese, {kCard}).front();
  const std::string pausedCode = shop.issue(paused, {kCard}).front();
  shop.setStatus(paused, CampaignStatus::kPaused);
  loyalty::testing::FakeCouponKeys keys;
  const std::string unknown = keys.sign(CodeClaims{999, kCard, milk, "2026-12-31"}).value();
  const std::string expired = keys.sign(CodeClaims{1, kCard, milk, "2026-11-22"}).value();

  auto r = shop.service.price(
      priceOf("1", kBasket, {"garbage", theirs, expired, unknown, needsCheese, pausedCode, mine}));
  REQUIRE(r.ok());
  std::vector<std::string> reasons;
  for (const auto& v : r->coupons) {
    reasons.push_back(v.reason);
  }
  CHECK(reasons == std::vector<std::string>{"coupon_malformed", "coupon_wrong_card",
                                            "coupon_expired", "coupon_unknown",
                                            "coupon_not_applicable", "coupon_campaign_inactive",
                                            ""});
  CHECK(r->total == Money(450));
}

TEST_CASE("Coupons: 32 concurrent commits of one coupon, exactly one succeeds",
          "[domain][coupons]") {
  Shop shop;
  const int64_t id = shop.create(shop.campaign(amountOff("MILK", 50)));
  const std::string code = shop.issue(id, {kCard}).front();
  std::atomic<int> ok{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> tills;
  for (int t = 0; t < 32; ++t) {
    tills.emplace_back([&, t] {
      auto r = shop.service.commit(commitOf("1", kBasket, {code}, "T" + std::to_string(t)));
      if (r.ok()) {
        ++ok;
      } else if (r.error().code == ErrorCode::kCouponUnavailable) {
        ++refused;
      }
    });
  }
  for (auto& t : tills) {
    t.join();
  }
  CHECK(ok == 1);
  CHECK(refused == 31);
  CHECK((*shop.store.findCampaign(id))->redeemedCount == 1);
}

TEST_CASE("Coupons: a per-shopper cap holds under concurrency", "[domain][coupons]") {
  Shop shop;
  Campaign c = shop.campaign(amountOff("MILK", 10));
  c.capPerPeriod = 2;
  c.capPeriodDays = 30;
  const int64_t id = shop.create(c);
  const std::vector<std::string> codes =
      shop.issue(id, {kCard, kCard, kCard, kCard, kCard, kCard});
  std::atomic<int> ok{0};
  std::vector<std::thread> tills;
  for (int t = 0; t < 6; ++t) {
    tills.emplace_back([&, t] {
      auto r = shop.service.commit(
          commitOf("1", kBasket, {codes[static_cast<size_t>(t)]}, "T" + std::to_string(t)));
      ok += r.ok() ? 1 : 0;
    });
  }
  for (auto& t : tills) {
    t.join();
  }
  CHECK(ok == 2);
}

TEST_CASE("Coupons: an offline double use keeps both sales and is reported", "[domain][coupons]") {
  Shop shop;
  const int64_t id = shop.create(shop.campaign(amountOff("MILK", 50)));
  const std::string code = shop.issue(id, {kCard}).front();
  CommitCommand first = commitOf("1", kBasket, {code}, "T01");
  first.offlineCoupons = true;
  CommitCommand second = commitOf("1", kBasket, {code}, "T02");
  second.offlineCoupons = true;
  auto a = shop.service.commit(first);
  auto b = shop.service.commit(second);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->sale.total == Money(450));
  CHECK(b->sale.total == Money(450));  // the second till granted it too: the sale stands
  auto conflicts = shop.store.conflicts(10);
  REQUIRE(conflicts.ok());
  REQUIRE(conflicts->size() == 1);
  CHECK(conflicts->front().conflict == "double_use");
  CHECK(conflicts->front().saleId == b->sale.id);
  CHECK(conflicts->front().offline);
  CHECK(shop.ledgerSum() == shop.customer().balance);
}

TEST_CASE("Coupons: a partial refund reverses points and discount pro rata; replay changes nothing",
          "[domain][coupons]") {
  Shop shop;
  const int64_t off = shop.create(shop.campaign(amountOff("MILK", 100)));
  const int64_t bonus = shop.create(shop.campaign(bonusPoints("dairy", 40)));
  const std::string offCode = shop.issue(off, {kCard}).front();
  const std::string bonusCode = shop.issue(bonus, {kCard}).front();
  // 4 x MILK at 2.50 = 10.00, 1.00 off -> 9.00; BREAD 2.00. Net 11.00: 11 points + 40 bonus.
  const std::vector<BasketItem> basket{{1, "MILK", 4, Money(250)}, {2, "BREAD", 1, Money(200)}};
  auto sold = shop.service.commit(commitOf("1", basket, {offCode, bonusCode}));
  REQUIRE(sold.ok());
  CHECK(sold->sale.total == Money(1100));
  CHECK(sold->sale.pointsEarned == Points(51));

  // Return 1 of the 4 milks: 2.50 less a quarter of the 1.00 discount = 2.25 back.
  RefundCommand r;
  r.key = key("R1");
  r.original = key("1");
  r.lines = {{1, 1}};
  r.fingerprint = 11;
  auto refunded = shop.service.refund(r);
  REQUIRE(refunded.ok());
  CHECK(refunded->refund.amount == Money(225));
  // Kept: 8.75 net -> 8 points; bonus 40 x 8.75 / 11.00 = 31. Before 51, after 39.
  CHECK(refunded->refund.pointsReversed == Points(12));
  CHECK(shop.customer().balance == Points(39));
  CHECK(shop.ledgerSum() == Points(39));

  auto replay = shop.service.refund(r);
  REQUIRE(replay.ok());
  CHECK(replay->replayed);
  CHECK(shop.customer().balance == Points(39));

  // The rest of the sale: everything comes back, the coupons return to the wallet.
  RefundCommand rest;
  rest.key = key("R2");
  rest.original = key("1");
  rest.lines = {{1, 3}, {2, 1}};
  rest.fingerprint = 12;
  auto all = shop.service.refund(rest);
  REQUIRE(all.ok());
  CHECK(all->refund.amount == Money(875));
  CHECK(all->refund.couponsReturned == 2);
  CHECK(shop.customer().balance == Points(0));
  auto again = shop.service.price(priceOf("2", basket, {offCode}));
  REQUIRE(again.ok());
  CHECK(again->coupons[0].accepted);
  CHECK((*shop.store.findCampaign(off))->redeemedCount == 0);
}

TEST_CASE("Points tender: whole units, a minimum, returned pro rata on refund", "[domain][tender]") {
  Shop shop;
  shop.setProgramme([](Programme& p) {
    p.earn.base.pointsPerUnit = 100;  // 100 points per 1.00 to have points to spend
    p.tender = PointsTender{100, Money(1), 500};  // 100 points = 0.01, at least 500
  });
  REQUIRE(shop.service.commit(commitOf("1", {{1, "BREAD", 5, Money(200)}}, {})).ok());
  REQUIRE(shop.customer().balance == Points(1000));

  PriceCommand bad = priceOf("2", kBasket, {});
  bad.redeemPoints = Points(450);
  auto refused = shop.service.price(bad);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ErrorCode::kInvalidPointsRedemption);
  bad.redeemPoints = Points(2000);
  auto tooMany = shop.service.price(bad);
  REQUIRE_FALSE(tooMany.ok());
  CHECK(tooMany.error().code == ErrorCode::kInsufficientPoints);

  CommitCommand pay = commitOf("2", kBasket, {});
  pay.redeemPoints = Points(1000);  // worth 0.10 of the 5.00 basket
  auto paid = shop.service.commit(pay);
  REQUIRE(paid.ok());
  CHECK(paid->sale.total == Money(490));
  CHECK(paid->sale.pointsRedeemed == Points(1000));
  CHECK(paid->sale.pointsEarned == Points(490));  // only the part paid in money earns
  CHECK(shop.customer().balance == Points(490));

  RefundCommand r;
  r.key = key("R");
  r.original = key("2");
  r.lines = {{2, 1}};  // the bread: 2.00 of 5.00 -> 400 of the 1000 points come back
  r.fingerprint = 3;
  auto refunded = shop.service.refund(r);
  REQUIRE(refunded.ok());
  CHECK(refunded->refund.pointsReturned == Points(400));
  CHECK(refunded->refund.amount == Money(196));
  CHECK(shop.ledgerSum() == shop.customer().balance);
}

TEST_CASE("Clawback: offset keeps the balance at zero and takes the rest from later earns",
          "[domain][clawback]") {
  Shop shop;
  shop.setProgramme([](Programme& p) {
    p.earn.base.pointsPerUnit = 100;
    p.tender = PointsTender{100, Money(1), 100};
    p.clawback = ClawbackPolicy::kOffset;
  });
  REQUIRE(shop.service.commit(commitOf("1", {{1, "BREAD", 1, Money(1000)}}, {})).ok());
  CommitCommand spend = commitOf("2", {{1, "MILK", 1, Money(2000)}}, {});
  spend.redeemPoints = Points(1000);
  REQUIRE(shop.service.commit(spend).ok());  // 1000 spent, 1990 earned on the 19.90 paid
  CommitCommand beer = commitOf("3", {{1, "BEER", 1, Money(2000)}}, {});
  beer.redeemPoints = Points(1900);  // alcohol earns nothing: the balance drops to 90
  REQUIRE(shop.service.commit(beer).ok());
  REQUIRE(shop.customer().balance == Points(90));

  RefundCommand r;
  r.key = key("R");
  r.original = key("2");
  r.lines = {{1, 1}};
  r.fingerprint = 1;
  auto refunded = shop.service.refund(r);
  REQUIRE(refunded.ok());
  CHECK(refunded->refund.pointsReturned == Points(1000));
  CHECK(refunded->refund.pointsReversed == Points(1990));
  CHECK(refunded->refund.debtAdded == Points(900));  // 1990 - (90 + 1000)
  CHECK(refunded->refund.balanceAfter == Points(0));
  CHECK(shop.customer().balance == Points(0));
  CHECK(shop.customer().debt == Points(900));

  auto next = shop.service.commit(commitOf("4", {{1, "BREAD", 1, Money(10000)}}, {}));
  REQUIRE(next.ok());
  CHECK(next->offset == Points(900));
  CHECK(next->sale.balanceAfter == Points(10000 - 900));
  CHECK(shop.customer().debt == Points(0));
  CHECK(shop.ledgerSum() == shop.customer().balance);
}

TEST_CASE("Clawback: allow_negative lets the balance go below zero", "[domain][clawback]") {
  Shop shop;
  shop.setProgramme([](Programme& p) {
    p.earn.base.pointsPerUnit = 100;
    p.tender = PointsTender{100, Money(1), 100};
    p.clawback = ClawbackPolicy::kAllowNegative;
  });
  REQUIRE(shop.service.commit(commitOf("1", {{1, "BREAD", 1, Money(1000)}}, {})).ok());
  CommitCommand beer = commitOf("2", {{1, "BEER", 1, Money(2000)}}, {});
  beer.redeemPoints = Points(1000);
  REQUIRE(shop.service.commit(beer).ok());
  RefundCommand r;
  r.key = key("R");
  r.original = key("1");
  r.lines = {{1, 1}};
  r.fingerprint = 1;
  auto refunded = shop.service.refund(r);
  REQUIRE(refunded.ok());
  CHECK(refunded->refund.debtAdded == Points(0));
  CHECK(shop.customer().balance == Points(-1000));
  CHECK(shop.ledgerSum() == shop.customer().balance);
}

TEST_CASE("Checkout trigger: prints a coupon when the basket matches, within caps and budget",
          "[domain][coupons]") {
  Shop shop;
  Campaign c = shop.campaign(amountOff("CHEESE", 100));
  c.issuance = IssuanceKind::kCheckoutTrigger;
  c.trigger.target = offers::TargetKind::kCategory;
  c.trigger.value = "dairy";
  c.trigger.minSpend = Money(300);
  c.capPerPeriod = 1;
  c.budgetCount = 2;
  c.validityDays = 14;
  const int64_t id = shop.create(c);

  auto small = shop.service.commit(commitOf("1", {{1, "MILK", 1, Money(150)}}, {}));
  REQUIRE(small.ok());
  CHECK(small->printed.empty());
  auto big = shop.service.commit(commitOf("2", kBasket, {}));
  REQUIRE(big.ok());
  REQUIRE(big->printed.size() == 1);
  CHECK(big->printed[0].expires == "2026-12-06");
  auto replay = shop.service.commit(commitOf("2", kBasket, {}));
  REQUIRE(replay.ok());
  REQUIRE(replay->printed.size() == 1);
  CHECK(replay->printed[0].code == big->printed[0].code);
  auto capped = shop.service.commit(commitOf("3", kBasket, {}));
  REQUIRE(capped.ok());
  CHECK(capped->printed.empty());  // one per shopper per period
  CommitCommand other = commitOf("4", kBasket, {});
  other.card = kOtherCard;
  REQUIRE(shop.service.commit(other).ok());
  CommitCommand third = commitOf("5", kBasket, {});
  third.card = "9000000000034";
  auto overBudget = shop.service.commit(third);
  REQUIRE(overBudget.ok());
  CHECK(overBudget->printed.empty());  // budget of 2 spent
  CHECK((*shop.store.findCampaign(id))->issuedCount == 2);

  // The printed coupon works at the next visit.
  auto used = shop.service.price(
      priceOf("6", {{1, "CHEESE", 1, Money(400)}}, {big->printed[0].code}));
  REQUIRE(used.ok());
  CHECK(used->coupons[0].accepted);
  CHECK(used->total == Money(300));
}

TEST_CASE("Tiers: the rolling spend before a sale chooses its tier", "[domain][tiers]") {
  Shop shop;
  shop.setProgramme([](Programme& p) {
    p.earn.tiers = {{"silver", Money(1000), 150}};
    p.rollingSpendDays = 30;
  });
  auto first = shop.service.commit(commitOf("1", {{1, "BREAD", 5, Money(200)}}, {}));
  REQUIRE(first.ok());
  CHECK(first->sale.tier == "base");
  CHECK(first->sale.pointsEarned == Points(10));
  auto second = shop.service.commit(commitOf("2", {{1, "BREAD", 5, Money(200)}}, {}));
  REQUIRE(second.ok());
  CHECK(second->sale.tier == "silver");
  CHECK(second->sale.pointsEarned == Points(15));
  shop.clock.advanceMs(daysToMs(31));
  auto later = shop.service.commit(commitOf("3", {{1, "BREAD", 1, Money(200)}}, {}));
  REQUIRE(later.ok());
  CHECK(later->sale.tier == "base");
}

TEST_CASE("Coupons: void releases a reservation at once", "[domain][coupons]") {
  Shop shop;
  const int64_t id = shop.create(shop.campaign(amountOff("MILK", 50)));
  const std::string code = shop.issue(id, {kCard}).front();
  REQUIRE(shop.service.price(priceOf("1", kBasket, {code})).ok());
  auto released = shop.service.voidTransaction(key("1"));
  REQUIRE(released.ok());
  CHECK(*released == 1);
  auto other = shop.service.price(priceOf("2", kBasket, {code}, "T02"));
  REQUIRE(other.ok());
  CHECK(other->coupons[0].accepted);
}

TEST_CASE("Coupons: a reservation lapses after the programme's reservation time",
          "[domain][coupons]") {
  Shop shop;
  const int64_t id = shop.create(shop.campaign(amountOff("MILK", 50)));
  const std::string code = shop.issue(id, {kCard}).front();
  REQUIRE(shop.service.price(priceOf("1", kBasket, {code})).ok());
  shop.clock.advanceMs(shop.parts.programme.get()->reservationSeconds * 1000 + 1);
  auto other = shop.service.commit(commitOf("2", kBasket, {code}, "T02"));
  REQUIRE(other.ok());
  CHECK(other->sale.total == Money(450));
}

TEST_CASE("Preview: a checkout-trigger campaign's preview equals replaying the same sales",
          "[domain][preview]") {
  Shop history;
  // A varied month of baskets for three shoppers.
  const std::vector<std::string> cards{kCard, kOtherCard, "9000000000034"};
  std::vector<CommitCommand> baskets;
  for (int i = 0; i < 30; ++i) {
    CommitCommand c = commitOf(std::to_string(i), {{1, i % 3 == 0 ? "MILK" : "BREAD",
                                                    1 + i % 4, Money(120 + 10 * i)}}, {});
    c.card = cards[static_cast<size_t>(i / 3) % cards.size()];
    baskets.push_back(c);
    REQUIRE(history.service.commit(c).ok());
    history.clock.advanceMs(3'600'000);
  }
  Campaign draft = history.campaign(amountOff("CHEESE", 100), CampaignStatus::kDraft);
  draft.issuance = IssuanceKind::kCheckoutTrigger;
  draft.trigger.target = offers::TargetKind::kCategory;
  draft.trigger.value = "dairy";
  draft.capPerPeriod = 2;
  draft.budgetCount = 5;
  auto preview = previewCampaign(history.store, history.parts.catalogue, draft, 30,
                                 history.clock.nowMs());
  REQUIRE(preview.ok());
  CHECK(preview->salesScanned == 30);

  Shop replay;
  replay.create([&] {
    Campaign active = draft;
    active.status = CampaignStatus::kActive;
    return active;
  }());
  int64_t printed = 0;
  std::set<std::string> shoppers;
  for (const auto& c : baskets) {
    auto r = replay.service.commit(c);
    REQUIRE(r.ok());
    printed += static_cast<int64_t>(r->printed.size());
    if (!r->printed.empty()) {
      shoppers.insert(c.card);
    }
    replay.clock.advanceMs(3'600'000);
  }
  CHECK(printed == 5);  // 6 would qualify (2 per shopper), the budget stops at 5
  CHECK(preview->couponsIssued == printed);
  CHECK(preview->shoppersTouched == static_cast<int64_t>(shoppers.size()));
}

TEST_CASE("Preview: a programme's points delta equals replaying the same sales",
          "[domain][preview]") {
  Shop history;
  std::vector<CommitCommand> baskets;
  for (int i = 0; i < 20; ++i) {
    CommitCommand c = commitOf(std::to_string(i), {{1, "MILK", 1 + i % 3, Money(199 + i)},
                                                   {2, "BEER", 1, Money(300)}}, {});
    baskets.push_back(c);
    REQUIRE(history.service.commit(c).ok());
  }
  Programme draft = *history.parts.programme.get();
  rules::Multiplier dairy;
  dairy.id = "dairy-week";
  dairy.scope = rules::Scope{rules::ScopeKind::kCategory, "dairy"};
  dairy.percent = 300;
  draft.earn.multipliers.push_back(dairy);
  auto preview = previewProgramme(history.store, history.parts.catalogue,
                                  *history.parts.programme.get(), draft, 7,
                                  history.clock.nowMs());
  REQUIRE(preview.ok());

  Shop replay;
  replay.parts.programme.set(draft);
  Points before;
  Points after;
  for (const auto& c : baskets) {
    auto r = replay.service.commit(c);
    REQUIRE(r.ok());
    after = after + r->sale.pointsEarned;
  }
  auto stored = history.store.salesOf(history.customer().id, 100);
  REQUIRE(stored.ok());
  for (const auto& s : *stored) {
    before = before + s.pointsEarned;
  }
  CHECK(preview->pointsCost == after - before);
  CHECK(preview->salesTouched == 20);
}

TEST_CASE("Expiry: oldest lots are spent first; a run twice expires once", "[domain][expiry]") {
  std::vector<LedgerEntry> ledger;
  auto entry = [&](int64_t atMs, int64_t points) {
    LedgerEntry e;
    e.createdAtMs = atMs;
    e.points = Points(points);
    ledger.push_back(e);
  };
  entry(100, 50);   // old lot
  entry(200, 30);   // old lot
  entry(300, -60);  // spends all of the first lot and 10 of the second
  entry(1000, 40);  // new lot
  CHECK(expiringPoints(ledger, 500) == Points(20));
  entry(1100, -20);  // the expiry itself
  CHECK(expiringPoints(ledger, 500) == Points(0));

  Shop shop;
  shop.setProgramme([](Programme& p) { p.expiryMonths = 12; });
  REQUIRE(shop.service.commit(commitOf("1", {{1, "BREAD", 10, Money(200)}}, {})).ok());
  shop.clock.advanceMs(daysToMs(200));
  REQUIRE(shop.service.commit(commitOf("2", {{1, "BREAD", 5, Money(200)}}, {})).ok());
  shop.clock.advanceMs(daysToMs(200));
  auto report = expirePoints(shop.store, *shop.parts.programme.get(), shop.clock.nowMs());
  REQUIRE(report.ok());
  CHECK(report->customersExpired == 1);
  CHECK(report->pointsExpired == Points(20));
  CHECK(shop.customer().balance == Points(10));
  auto again = expirePoints(shop.store, *shop.parts.programme.get(), shop.clock.nowMs());
  REQUIRE(again.ok());
  CHECK(again->pointsExpired == Points(0));
  CHECK(shop.ledgerSum() == Points(10));
  CHECK(expiryCutoffMs(kNoon, 12) == kNoon - daysToMs(365));
}

namespace {

Campaign personalized(Shop& shop, int64_t count, int64_t discoverPercent) {
  offers::Reward reward;
  reward.kind = offers::RewardKind::kPercentOff;
  reward.target = offers::TargetKind::kSku;  // no value: the product is chosen per shopper
  reward.percent = 20;
  Campaign c = shop.campaign(reward);
  c.issuance = IssuanceKind::kPersonalized;
  c.personalizedCount = count;
  c.discoverPercent = discoverPercent;
  c.capPerVisit = 1;
  return c;
}

}  // namespace

TEST_CASE("Personalized: a product the shopper buys every third visit is offered when due",
          "[domain][personalized]") {
  Shop shop;
  // MILK in visits 0 and 3 (every third visit), BREAD in every visit.
  for (int visit = 0; visit < 5; ++visit) {
    std::vector<BasketItem> basket{{1, "BREAD", 1, Money(200)}};
    if (visit % 3 == 0) {
      basket.push_back({2, "MILK", 1, Money(150)});
    }
    REQUIRE(shop.service.commit(commitOf(std::to_string(visit), basket, {})).ok());
  }
  const int64_t id = shop.create(personalized(shop, 1, 0));
  // Visit 5: two visits since the last milk; by the next visit it is three, its usual gap.
  auto sixth = shop.service.commit(commitOf("5", {{1, "BREAD", 1, Money(200)}}, {}));
  REQUIRE(sixth.ok());
  REQUIRE(sixth->printed.size() == 1);
  CHECK(sixth->printed[0].description.find("MILK") != std::string::npos);
  // The coupon is for MILK and gives 20 % off it at the next visit.
  auto next = shop.service.price(
      priceOf("6", {{1, "MILK", 1, Money(150)}, {2, "BREAD", 1, Money(200)}},
              {sixth->printed[0].code}));
  REQUIRE(next.ok());
  CHECK(next->coupons[0].accepted);
  CHECK(next->coupons[0].discount == Money(30));
  CHECK((*shop.store.findCampaign(id))->issuedCount == 1);
}

TEST_CASE("Personalized: a control-group shopper gets nothing printed, the coupon is recorded",
          "[domain][personalized]") {
  Shop shop;
  REQUIRE(shop.service.commit(commitOf("0", {{1, "MILK", 1, Money(150)}}, {})).ok());
  Campaign c = personalized(shop, 1, 0);
  c.controlPercent = 100;
  c.allowBasketItems = true;
  const int64_t id = shop.create(c);
  auto sale = shop.service.commit(commitOf("1", {{1, "MILK", 1, Money(150)}}, {}));
  REQUIRE(sale.ok());
  CHECK(sale->printed.empty());
  auto wallet = shop.store.couponsOf(shop.customer().id);
  REQUIRE(wallet.ok());
  REQUIRE(wallet->size() == 1);
  CHECK(wallet->front().state == CouponState::kControl);
  CHECK(wallet->front().sku == "MILK");
  CHECK(wallet->front().code.empty());
  CHECK(wallet->front().campaignId == id);
  CHECK((*shop.store.findCampaign(id))->issuedCount == 0);  // held out: not in the budget
  auto identified = shop.service.identify(kCard);
  REQUIRE(identified.ok());
  CHECK(identified->walletCoupons == 0);

  // The share is deterministic per shopper and campaign.
  Campaign half = c;
  half.controlPercent = 50;
  int held = 0;
  for (int64_t customer = 1; customer <= 1000; ++customer) {
    held += inControlGroup(half, customer) ? 1 : 0;
    CHECK(inControlGroup(half, customer) == inControlGroup(half, customer));
  }
  CHECK(held > 430);
  CHECK(held < 570);
}

TEST_CASE("Personalized: the budget and the per-shopper cap hold", "[domain][personalized]") {
  Shop shop;
  Campaign c = personalized(shop, 2, 0);
  c.allowBasketItems = true;
  c.budgetCount = 3;
  c.capPerPeriod = 2;
  const int64_t id = shop.create(c);
  const std::vector<BasketItem> basket{{1, "MILK", 1, Money(150)}, {2, "BREAD", 1, Money(200)},
                                       {3, "CHEESE", 1, Money(400)}};
  auto first = shop.service.commit(commitOf("1", basket, {}));
  REQUIRE(first.ok());
  CHECK(first->printed.size() == 2);
  auto capped = shop.service.commit(commitOf("2", basket, {}));
  REQUIRE(capped.ok());
  CHECK(capped->printed.empty());  // 2 per shopper per period
  CommitCommand other = commitOf("3", basket, {});
  other.card = kOtherCard;
  auto budget = shop.service.commit(other);
  REQUIRE(budget.ok());
  CHECK(budget->printed.size() == 1);  // the budget of 3 has 1 left
  CHECK((*shop.store.findCampaign(id))->issuedCount == 3);
}

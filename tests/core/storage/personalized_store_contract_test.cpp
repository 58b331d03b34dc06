// The LoyaltyStore contract added with personalized coupons (schema step 4), run on every
// backend: a campaign's personalized settings, a coupon's sku, kControl coupons (empty code,
// several per campaign), and the two paging reads habitProfiles and couponsOfCampaign (also
// through the FaultyStore decorator).
#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "storage_test_util.h"
#include "support/faulty_store.h"

namespace loyalty::core::storage::testing {
namespace {

using base::Result;
using base::Status;
using domain::Campaign;
using domain::Coupon;
using domain::CouponState;
using domain::Customer;
using domain::IssuanceKind;
using domain::LoyaltyStore;
using domain::StoreWriter;

#define LOYALTY_BACKENDS MemoryBackend, SqliteBackend

using Profiles = std::vector<std::pair<int64_t, std::string>>;

Campaign personalizedCampaign(const std::string& name) {
  Campaign c;
  c.name = name;
  c.status = domain::CampaignStatus::kActive;
  c.issuance = IssuanceKind::kPersonalized;
  c.reward.kind = offers::RewardKind::kPercentOff;
  c.reward.target = offers::TargetKind::kSku;
  c.reward.percent = 15;
  c.controlPercent = 25;
  c.personalizedCount = 4;
  c.discoverPercent = 35;
  c.allowBasketItems = true;
  return c;
}

int64_t addCampaign(LoyaltyStore& store, const Campaign& campaign) {
  Result<int64_t> id = inWrite(store, [&](StoreWriter& w) { return w.insertCampaign(campaign); });
  INFO((id.ok() ? std::string() : id.error().message));
  REQUIRE(id.ok());
  return *id;
}

Coupon personalCoupon(int64_t campaignId, int64_t customerId, const std::string& sku,
                      CouponState state = CouponState::kIssued) {
  Coupon c;
  c.campaignId = campaignId;
  c.customerId = customerId;
  c.state = state;
  c.code = state == CouponState::kControl ? "" : "LC1-" + sku + "-" + std::to_string(customerId);
  c.sku = sku;
  c.expires = "2026-04-13";
  c.issuedAtMs = 1'000;
  return c;
}

Coupon addCoupon(LoyaltyStore& store, Coupon coupon) {
  Result<uint64_t> serial = inWrite(store, [&](StoreWriter& w) { return w.insertCoupon(coupon); });
  INFO((serial.ok() ? std::string() : serial.error().message));
  REQUIRE(serial.ok());
  coupon.serial = *serial;
  return coupon;
}

void checkSameCoupon(const Coupon& a, const Coupon& b) {
  CHECK(a.serial == b.serial);
  CHECK(a.campaignId == b.campaignId);
  CHECK(a.customerId == b.customerId);
  CHECK(a.code == b.code);
  CHECK(a.sku == b.sku);
  CHECK(a.expires == b.expires);
  CHECK(a.state == b.state);
  CHECK(a.issuedAtMs == b.issuedAtMs);
  CHECK(a.issuedBySaleId == b.issuedBySaleId);
  CHECK(a.reservedBy.has_value() == b.reservedBy.has_value());
  CHECK(a.reservedUntilMs == b.reservedUntilMs);
  CHECK(a.redeemedBySaleId == b.redeemedBySaleId);
}

std::vector<uint64_t> serialsOf(const std::vector<Coupon>& coupons) {
  std::vector<uint64_t> serials;
  for (const Coupon& c : coupons) {
    serials.push_back(c.serial);
  }
  return serials;
}

// ---- Campaigns ----

TEMPLATE_TEST_CASE("LoyaltyStore: a campaign's personalized settings round-trip", "[storage]",
                   LOYALTY_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  const Campaign personalized = personalizedCampaign("For you");
  const int64_t id = addCampaign(*store, personalized);
  const int64_t plainId = addCampaign(*store, Campaign{});

  auto checkPersonalized = [](const Campaign& c) {
    CHECK(c.issuance == IssuanceKind::kPersonalized);
    CHECK(c.controlPercent == 25);
    CHECK(c.personalizedCount == 4);
    CHECK(c.discoverPercent == 35);
    CHECK(c.allowBasketItems);
    CHECK(c.reward.percent == 15);
  };
  auto checkDefaults = [](const Campaign& c) {
    CHECK(c.personalizedCount == 1);
    CHECK(c.discoverPercent == 20);
    CHECK_FALSE(c.allowBasketItems);
  };
  Result<std::optional<Campaign>> found = store->findCampaign(id);
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  checkPersonalized(**found);
  Result<std::optional<Campaign>> inFn =
      inWrite(*store, [&](StoreWriter& w) { return w.findCampaign(id); });
  REQUIRE(inFn.ok());
  REQUIRE(inFn->has_value());
  checkPersonalized(**inFn);
  Result<std::vector<Campaign>> all = store->campaigns();
  REQUIRE(all.ok());
  REQUIRE(all->size() == 2);
  checkPersonalized((*all)[0]);
  checkDefaults((*all)[1]);

  // updateCampaign replaces the settings both ways.
  Campaign changed = **found;
  changed.personalizedCount = 10;
  changed.discoverPercent = 0;
  changed.allowBasketItems = false;
  REQUIRE(inWrite(*store, [&](StoreWriter& w) { return w.updateCampaign(changed); }).ok());
  Campaign afterUpdate = store->findCampaign(id)->value();
  CHECK(afterUpdate.personalizedCount == 10);
  CHECK(afterUpdate.discoverPercent == 0);
  CHECK_FALSE(afterUpdate.allowBasketItems);
  CHECK(afterUpdate.controlPercent == 25);

  Campaign plain = store->findCampaign(plainId)->value();
  checkDefaults(plain);
  plain.discoverPercent = 100;
  plain.allowBasketItems = true;
  REQUIRE(inWrite(*store, [&](StoreWriter& w) { return w.updateCampaign(plain); }).ok());
  Result<std::vector<Campaign>> inFnAll =
      inWrite(*store, [](StoreWriter& w) { return w.campaigns(); });
  REQUIRE(inFnAll.ok());
  REQUIRE(inFnAll->size() == 2);
  CHECK((*inFnAll)[1].discoverPercent == 100);
  CHECK((*inFnAll)[1].allowBasketItems);
  CHECK((*inFnAll)[1].personalizedCount == 1);
}

// ---- Coupons ----

TEMPLATE_TEST_CASE("LoyaltyStore: a coupon's sku and control coupons with an empty code round-trip",
                   "[storage]", LOYALTY_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  Customer alice = enrol(*store, "6001");
  Customer bob = enrol(*store, "6002");
  const int64_t campaignId = addCampaign(*store, personalizedCampaign("For you"));

  Coupon issued = addCoupon(*store, personalCoupon(campaignId, alice.id, "P-100"));
  // Two control coupons of the same campaign, both with an empty code (a code is not unique),
  // one of them for the same shopper and product as another.
  Coupon control1 =
      addCoupon(*store, personalCoupon(campaignId, bob.id, "P-200", CouponState::kControl));
  Coupon control2 =
      addCoupon(*store, personalCoupon(campaignId, bob.id, "P-201", CouponState::kControl));
  Coupon control3 =
      addCoupon(*store, personalCoupon(campaignId, alice.id, "P-100", CouponState::kControl));
  CHECK(control1.code.empty());
  CHECK(control2.code.empty());
  CHECK(issued.serial == 1);
  CHECK(control3.serial == 4);

  for (const Coupon& c : {issued, control1, control2, control3}) {
    Result<std::optional<Coupon>> found = store->findCoupon(c.serial);
    REQUIRE(found.ok());
    REQUIRE(found->has_value());
    checkSameCoupon(**found, c);
    Result<std::optional<Coupon>> inFn =
        inWrite(*store, [&](StoreWriter& w) { return w.findCoupon(c.serial); });
    REQUIRE(inFn.ok());
    REQUIRE(inFn->has_value());
    checkSameCoupon(**inFn, c);
  }
  Result<std::vector<Coupon>> bobs = store->couponsOf(bob.id);
  REQUIRE(bobs.ok());
  REQUIRE(bobs->size() == 2);
  checkSameCoupon((*bobs)[0], control1);
  checkSameCoupon((*bobs)[1], control2);
  Result<std::vector<Coupon>> alices =
      inWrite(*store, [&](StoreWriter& w) { return w.couponsOf(alice.id); });
  REQUIRE(alices.ok());
  REQUIRE(alices->size() == 2);
  CHECK((*alices)[0].state == CouponState::kIssued);
  CHECK((*alices)[0].sku == "P-100");
  CHECK((*alices)[1].state == CouponState::kControl);
  CHECK((*alices)[1].code.empty());

  // updateCoupon changes code and state but keeps the sku (a coupon's product is fixed).
  Coupon voided = issued;
  voided.state = CouponState::kVoid;
  voided.sku = "P-999";
  REQUIRE(inWrite(*store, [&](StoreWriter& w) { return w.updateCoupon(voided); }).ok());
  Coupon afterUpdate = store->findCoupon(issued.serial)->value();
  CHECK(afterUpdate.state == CouponState::kVoid);
  CHECK(afterUpdate.sku == "P-100");
  CHECK(afterUpdate.code == issued.code);

  // A coupon without a product keeps an empty sku.
  Coupon plain = personalCoupon(campaignId, alice.id, "");
  plain = addCoupon(*store, plain);
  CHECK(store->findCoupon(plain.serial)->value().sku.empty());
}

TEMPLATE_TEST_CASE("LoyaltyStore: couponsOfCampaign pages a campaign's coupons by serial",
                   "[storage]", LOYALTY_BACKENDS) {
  TestType backend;
  auto inner = backend.open();
  ::loyalty::testing::FaultyStore faulty(*inner);
  const bool throughDecorator = GENERATE(false, true);
  LoyaltyStore& store = throughDecorator ? static_cast<LoyaltyStore&>(faulty) : *inner;
  Customer alice = enrol(store, "6001");
  Customer bob = enrol(store, "6002");
  const int64_t c1 = addCampaign(store, personalizedCampaign("one"));
  const int64_t c2 = addCampaign(store, personalizedCampaign("two"));
  const int64_t c3 = addCampaign(store, Campaign{});  // no coupons

  // Serials 1..7, interleaved between the campaigns, in every state.
  const std::vector<std::pair<int64_t, CouponState>> plan = {
      {c1, CouponState::kIssued}, {c2, CouponState::kIssued},  {c1, CouponState::kControl},
      {c1, CouponState::kVoid},   {c2, CouponState::kControl}, {c1, CouponState::kRedeemed},
      {c1, CouponState::kControl}};
  std::vector<Coupon> coupons;
  for (size_t i = 0; i < plan.size(); ++i) {
    coupons.push_back(addCoupon(store, personalCoupon(plan[i].first, i % 2 == 0 ? alice.id : bob.id,
                                                      "P-" + std::to_string(i), plan[i].second)));
  }
  REQUIRE(coupons.back().serial == 7);

  auto page = [&](int64_t campaignId, uint64_t afterSerial, size_t limit) {
    Result<std::vector<Coupon>> result = store.couponsOfCampaign(campaignId, afterSerial, limit);
    REQUIRE(result.ok());
    for (const Coupon& c : *result) {
      CHECK(c.campaignId == campaignId);
      REQUIRE(c.serial >= 1);
      REQUIRE(c.serial <= coupons.size());
      checkSameCoupon(c, coupons[c.serial - 1]);
    }
    return serialsOf(*result);
  };
  CHECK(page(c1, 0, 100) == std::vector<uint64_t>{1, 3, 4, 6, 7});
  CHECK(page(c1, 0, 2) == std::vector<uint64_t>{1, 3});
  CHECK(page(c1, 3, 2) == std::vector<uint64_t>{4, 6});
  CHECK(page(c1, 6, 2) == std::vector<uint64_t>{7});
  CHECK(page(c1, 7, 2).empty());
  CHECK(page(c1, 2, 1) == std::vector<uint64_t>{3});  // afterSerial need not be the campaign's
  CHECK(page(c2, 0, 100) == std::vector<uint64_t>{2, 5});
  CHECK(page(c2, 2, 100) == std::vector<uint64_t>{5});
  CHECK(page(c3, 0, 100).empty());
  CHECK(page(c3 + 1, 0, 100).empty());
  CHECK(page(c1, 0, 0).empty());
  CHECK(page(c1, std::numeric_limits<uint64_t>::max(), 10).empty());
  CHECK(page(c1, 0, std::numeric_limits<size_t>::max()).size() == 5);

  // Reads see committed coupons only.
  Status s = store.write([&](StoreWriter& w) -> Status {
    Coupon added = personalCoupon(c2, alice.id, "P-new");
    Result<uint64_t> serial = w.insertCoupon(added);
    REQUIRE(serial.ok());
    CHECK(page(c2, 0, 100) == std::vector<uint64_t>{2, 5});
    added.serial = *serial;
    coupons.push_back(added);
    return base::okStatus();
  });
  REQUIRE(s.ok());
  CHECK(page(c2, 0, 100) == std::vector<uint64_t>{2, 5, 8});
}

// ---- Habit profiles ----

TEMPLATE_TEST_CASE("LoyaltyStore: habitProfiles pages stored profiles by customer id", "[storage]",
                   LOYALTY_BACKENDS) {
  TestType backend;
  auto inner = backend.open();
  ::loyalty::testing::FaultyStore faulty(*inner);
  const bool throughDecorator = GENERATE(false, true);
  LoyaltyStore& store = throughDecorator ? static_cast<LoyaltyStore&>(faulty) : *inner;
  // Customers 1..4; customer 2 has no profile. Profiles are bytes (NUL and high bytes too).
  std::vector<Customer> customers;
  for (int i = 1; i <= 4; ++i) {
    customers.push_back(enrol(store, "600" + std::to_string(i)));
  }
  const std::string p1("\x01\x00\xff one", 7);
  const std::string p3 = "three";
  const std::string p4;  // an empty profile is still a stored profile
  auto save = [&](int64_t customerId, const std::string& bytes) {
    REQUIRE(store
                .write([&](StoreWriter& w) {
                  return w.saveHabitProfile(customerId, bytes, 1'000 + customerId);
                })
                .ok());
  };
  save(customers[3].id, p4);  // saved out of id order
  save(customers[0].id, "stale");
  save(customers[2].id, p3);
  save(customers[0].id, p1);  // replaced: the newest bytes are listed

  auto page = [&](int64_t afterCustomerId, size_t limit) {
    Result<Profiles> result = store.habitProfiles(afterCustomerId, limit);
    REQUIRE(result.ok());
    return *result;
  };
  const Profiles all = {{customers[0].id, p1}, {customers[2].id, p3}, {customers[3].id, p4}};
  CHECK(page(0, 100) == all);
  CHECK(page(0, 2) == Profiles{{customers[0].id, p1}, {customers[2].id, p3}});
  CHECK(page(customers[2].id, 2) == Profiles{{customers[3].id, p4}});
  CHECK(page(customers[0].id, 1) == Profiles{{customers[2].id, p3}});  // skips customer 2
  CHECK(page(customers[3].id, 2).empty());
  CHECK(page(-5, 1) == Profiles{{customers[0].id, p1}});
  CHECK(page(0, 0).empty());
  CHECK(page(0, std::numeric_limits<size_t>::max()) == all);

  // Reads see committed profiles only.
  Status s = store.write([&](StoreWriter& w) -> Status {
    if (Status saved = w.saveHabitProfile(customers[1].id, "two", 5); !saved.ok()) {
      return saved;
    }
    CHECK(page(0, 100) == all);
    return base::okStatus();
  });
  REQUIRE(s.ok());
  CHECK(page(customers[0].id, 1) == Profiles{{customers[1].id, "two"}});
  CHECK(page(0, 100).size() == 4);
}

TEMPLATE_TEST_CASE("LoyaltyStore: the paging reads of an empty store are empty", "[storage]",
                   LOYALTY_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  Result<Profiles> profiles = store->habitProfiles(0, 10);
  REQUIRE(profiles.ok());
  CHECK(profiles->empty());
  Result<std::vector<Coupon>> coupons = store->couponsOfCampaign(1, 0, 10);
  REQUIRE(coupons.ok());
  CHECK(coupons->empty());
}

}  // namespace
}  // namespace loyalty::core::storage::testing

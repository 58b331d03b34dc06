// SqliteStore and schema step 4 (personalized coupons): a database of the previous release
// (version 3) migrates in place, keeps its campaigns, coupons and redemptions and gives them the
// defaults of the new fields; a failed step 4 leaves the database at version 3; the coupons
// table takes control coupons with empty codes but no unknown state; the paging reads use an
// index.
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "storage/sqlite/schema.h"
#include "storage_test_util.h"

namespace loyalty::core::storage::testing {
namespace {

using base::ErrorCode;
using base::Money;
using base::Result;
using domain::Campaign;
using domain::CampaignStatus;
using domain::Coupon;
using domain::CouponState;
using domain::IssuanceKind;
using domain::Redemption;
using domain::StoreWriter;

// A version 3 database with one customer, one sale, one personalized campaign, two coupons (one
// reserved and redeemed) and a redemption with a conflict, written with the version 3 columns.
void makeVersion3Database(const std::string& path) {
  RawDb raw(path);
  REQUIRE(migrateSqliteSchemaTo(raw.handle(), 3).ok());
  REQUIRE(raw.integer("PRAGMA user_version") == 3);
  raw.exec(R"sql(
    INSERT INTO customers(id, card, tier, balance, enrolled_at_ms, debt)
      VALUES (1, '6001', 'gold', 40, 111, 0);
    INSERT INTO sales(id, store, terminal, business_date, txn, fingerprint, customer_id, total,
                      points_earned, balance_after, created_at_ms)
      VALUES (1, 'S001', 'T01', '2026-03-14', '0001', 5, 1, 650, 6, 46, 1000);
    INSERT INTO campaigns(id, name, owner_store, status, from_date, to_date, reward_kind,
        reward_target, reward_value, reward_amount, reward_percent, reward_points,
        reward_buy_quantity, reward_get_quantity, reward_max_groups, reward_min_quantity,
        reward_min_spend, tiers, stores, validity_days, budget_count, budget_cost, cap_per_visit,
        cap_per_period, cap_period_days, issuance, trigger_target, trigger_value,
        trigger_min_quantity, trigger_min_spend, control_percent, issued_count, redeemed_cost,
        redeemed_count, updated_at_ms)
      VALUES (7, 'For you', 'S001', 'active', '2026-03-01', NULL, 'percent_off', 'sku', 'P12',
        0, 15, 0, 0, 0, 0, 0, 0, 'gold,silver', '', 14, 100, 5000, 1, 0, 30, 'personalized',
        'basket', '', 0, 0, 10, 2, 150, 1, 999);
    INSERT INTO coupons(serial, campaign_id, customer_id, code, expires, state, issued_at_ms,
                        issued_by_sale_id, reserved_store, reserved_terminal,
                        reserved_business_date, reserved_txn, reserved_until_ms,
                        redeemed_by_sale_id)
      VALUES (3, 7, 1, 'LC1aaa', '2026-03-27', 'redeemed', 900, NULL, 'S001', 'T01',
              '2026-03-14', '0001', 1500, 1),
             (5, 7, 1, 'LC1bbb', '2026-03-28', 'issued', 950, 1, NULL, NULL, NULL, NULL, 0, NULL);
    INSERT INTO redemptions(id, serial, campaign_id, customer_id, sale_id, discount,
                            bonus_points, offline, conflict, created_at_ms)
      VALUES (1, 3, 7, 1, 1, 150, 0, 1, 'double_use', 1000);
  )sql");
}

TEST_CASE("SqliteStore: a version 3 database migrates past version 4 with the new defaults",
          "[storage][sqlite]") {
  TempDir dir("loyalty-storage");
  const std::string path = dir.file("loyalty.db");
  makeVersion3Database(path);

  auto store = openSqlite(sqliteOptions(path));
  CHECK(sqliteSchemaVersion() >= 4);
  {
    RawDb raw(path);
    CHECK(raw.integer("PRAGMA user_version") == sqliteSchemaVersion());
    CHECK(raw.column("PRAGMA foreign_key_check", 0).empty());
    CHECK(raw.integer("SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name IN "
                      "('coupons_by_customer', 'coupons_by_reservation', "
                      "'coupons_by_issuing_sale', 'coupons_by_campaign')") == 4);
    CHECK(raw.integer("SELECT count(*) FROM sqlite_schema WHERE name = 'coupons_v4'") == 0);
    // redemptions still names the coupons table.
    CHECK(raw.text("SELECT \"table\" FROM pragma_foreign_key_list('redemptions') "
                   "WHERE \"from\" = 'serial'") == "coupons");
  }

  // The campaign keeps its fields and gets the defaults of the new ones.
  Result<std::optional<Campaign>> campaign = store->findCampaign(7);
  REQUIRE(campaign.ok());
  REQUIRE(campaign->has_value());
  const Campaign& c = **campaign;
  CHECK(c.name == "For you");
  CHECK(c.status == CampaignStatus::kActive);
  CHECK(c.issuance == IssuanceKind::kPersonalized);
  CHECK(c.reward.percent == 15);
  CHECK(c.tiers == std::vector<std::string>{"gold", "silver"});
  CHECK(c.controlPercent == 10);
  CHECK(c.issuedCount == 2);
  CHECK(c.redeemedCost == Money(150));
  CHECK(c.updatedAtMs == 999);
  CHECK(c.personalizedCount == 1);
  CHECK(c.discoverPercent == 20);
  CHECK_FALSE(c.allowBasketItems);

  // The coupons keep their serials and fields, with an empty sku.
  Result<std::optional<Coupon>> redeemed = store->findCoupon(3);
  REQUIRE(redeemed.ok());
  REQUIRE(redeemed->has_value());
  CHECK((*redeemed)->code == "LC1aaa");
  CHECK((*redeemed)->sku.empty());
  CHECK((*redeemed)->state == CouponState::kRedeemed);
  CHECK((*redeemed)->issuedAtMs == 900);
  REQUIRE((*redeemed)->reservedBy.has_value());
  CHECK(*(*redeemed)->reservedBy == txnKey("0001"));
  CHECK((*redeemed)->reservedUntilMs == 1500);
  CHECK((*redeemed)->redeemedBySaleId == 1);
  Result<std::vector<Coupon>> ofCampaign = store->couponsOfCampaign(7, 0, 10);
  REQUIRE(ofCampaign.ok());
  REQUIRE(ofCampaign->size() == 2);
  CHECK((*ofCampaign)[0].serial == 3);
  CHECK((*ofCampaign)[1].serial == 5);
  CHECK((*ofCampaign)[1].issuedBySaleId == 1);
  CHECK((*ofCampaign)[1].sku.empty());
  Result<std::vector<Coupon>> issuedBySale =
      inWrite(*store, [](StoreWriter& w) { return w.couponsIssuedBySale(1); });
  REQUIRE(issuedBySale.ok());
  REQUIRE(issuedBySale->size() == 1);
  CHECK(issuedBySale->front().serial == 5);
  Result<std::vector<Coupon>> reserved =
      inWrite(*store, [](StoreWriter& w) { return w.couponsReservedBy(txnKey("0001")); });
  REQUIRE(reserved.ok());
  REQUIRE(reserved->size() == 1);
  CHECK(reserved->front().serial == 3);

  // The redemption still names its coupon.
  Result<std::vector<Redemption>> conflicts = store->conflicts(10);
  REQUIRE(conflicts.ok());
  REQUIRE(conflicts->size() == 1);
  CHECK(conflicts->front().serial == 3);
  CHECK(conflicts->front().conflict == "double_use");

  // The migrated database takes the new fields; serials continue after the stored ones.
  Campaign changed = c;
  changed.personalizedCount = 3;
  changed.allowBasketItems = true;
  REQUIRE(inWrite(*store, [&](StoreWriter& w) { return w.updateCampaign(changed); }).ok());
  CHECK(store->findCampaign(7)->value().personalizedCount == 3);
  CHECK(store->findCampaign(7)->value().allowBasketItems);
  Coupon control;
  control.campaignId = 7;
  control.customerId = 1;
  control.sku = "P12";
  control.state = CouponState::kControl;
  for (uint64_t expected : {6u, 7u}) {
    Result<uint64_t> serial =
        inWrite(*store, [&](StoreWriter& w) { return w.insertCoupon(control); });
    REQUIRE(serial.ok());
    CHECK(*serial == expected);
  }
  Result<std::vector<Coupon>> after = store->couponsOfCampaign(7, 5, 10);
  REQUIRE(after.ok());
  REQUIRE(after->size() == 2);
  for (const Coupon& coupon : *after) {
    CHECK(coupon.state == CouponState::kControl);
    CHECK(coupon.code.empty());
    CHECK(coupon.sku == "P12");
  }

  // Foreign keys are enforced again after the migration.
  Coupon orphan = control;
  orphan.campaignId = 8;
  Result<uint64_t> refused =
      inWrite(*store, [&](StoreWriter& w) { return w.insertCoupon(orphan); });
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ErrorCode::kStorageFailure);
}

TEST_CASE("SqliteStore: a failed step 4 leaves the database at version 3", "[storage][sqlite]") {
  TempDir dir("loyalty-storage");
  const std::string path = dir.file("loyalty.db");
  makeVersion3Database(path);
  {
    // A coupon naming a customer that does not exist (foreign keys are off for this
    // connection): step 4 checks the keys before it commits, and refuses.
    RawDb raw(path);
    raw.exec(
        "INSERT INTO coupons(campaign_id, customer_id, code, expires, state, issued_at_ms, "
        "reserved_until_ms) VALUES (7, 9, 'LC1zzz', '2026-03-28', 'issued', 1, 0)");
  }
  Result<std::unique_ptr<SqliteStore>> opened = SqliteStore::open(sqliteOptions(path));
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.error().code == ErrorCode::kStorageFailure);
  CHECK_THAT(opened.error().message, Catch::Contains("coupons"));

  RawDb raw(path);
  CHECK(raw.integer("PRAGMA user_version") == 3);
  CHECK(raw.integer("SELECT count(*) FROM coupons") == 3);
  CHECK(raw.integer("SELECT count(*) FROM sqlite_schema WHERE name IN "
                    "('coupons_v4', 'coupons_by_campaign')") == 0);
  CHECK(raw.integer("SELECT count(*) FROM pragma_table_info('campaigns') WHERE name IN "
                    "('personalized_count', 'discover_percent', 'allow_basket_items')") == 0);
  CHECK(raw.integer("SELECT count(*) FROM pragma_table_info('coupons') WHERE name = 'sku'") == 0);

  // Once the row is repaired, the migration goes through.
  raw.exec("DELETE FROM coupons WHERE customer_id = 9");
  auto store = openSqlite(sqliteOptions(path));
  CHECK(raw.integer("PRAGMA user_version") == sqliteSchemaVersion());
  CHECK(store->couponsOfCampaign(7, 0, 10)->size() == 2);
}

TEST_CASE("SqliteStore: coupons take the control state and empty codes, not unknown states",
          "[storage][sqlite]") {
  TempDir dir("loyalty-storage");
  const std::string path = dir.file("loyalty.db");
  auto store = openSqlite(sqliteOptions(path));
  REQUIRE(inWrite(*store, [](StoreWriter& w) { return w.insertCampaign(Campaign{}); }).ok());
  REQUIRE(inWrite(*store, [](StoreWriter& w) { return w.insertCustomer("6001", 1); }).ok());
  Coupon control;
  control.campaignId = 1;
  control.customerId = 1;
  control.state = CouponState::kControl;
  for (int i = 0; i < 3; ++i) {
    REQUIRE(inWrite(*store, [&](StoreWriter& w) { return w.insertCoupon(control); }).ok());
  }

  RawDb raw(path);
  CHECK(raw.column("SELECT state FROM coupons ORDER BY serial", 0) ==
        std::vector<std::string>{"control", "control", "control"});
  CHECK(raw.integer("SELECT count(*) FROM coupons WHERE code = ''") == 3);
  CHECK(raw.integer("SELECT count(*) FROM pragma_table_info('coupons') "
                    "WHERE name = 'sku' AND \"notnull\" = 1") == 1);
  // The state CHECK still refuses a name the store does not know.
  CHECK(sqlite3_exec(raw.handle(),
                     "INSERT INTO coupons(campaign_id, customer_id, code, expires, state, "
                     "issued_at_ms, reserved_until_ms) VALUES (1, 1, '', '', 'lost', 1, 0)",
                     nullptr, nullptr, nullptr) == SQLITE_CONSTRAINT);
  CHECK(sqlite3_exec(raw.handle(), "UPDATE campaigns SET allow_basket_items = 2 WHERE id = 1",
                     nullptr, nullptr, nullptr) == SQLITE_CONSTRAINT);
  CHECK(raw.integer("SELECT count(*) FROM coupons") == 3);
}

TEST_CASE("SqliteStore: every paging read reads an index or a key range", "[storage][sqlite]") {
  TempDir dir("loyalty-storage");
  const std::string path = dir.file("loyalty.db");
  openSqlite(sqliteOptions(path)).reset();
  RawDb raw(path);
  const std::vector<std::string> statements = sqlitePagingStatementsForTest();
  REQUIRE(statements.size() == 5);
  bool campaignIndexUsed = false;
  for (const std::string& sql : statements) {
    // Column 3 of EXPLAIN QUERY PLAN is the step: "SEARCH t USING ..." reads an index or a range
    // of the primary key; "SCAN t" reads the whole table.
    const std::vector<std::string> plan = raw.column("EXPLAIN QUERY PLAN " + sql, 3);
    INFO(sql);
    CHECK_FALSE(plan.empty());
    for (const std::string& step : plan) {
      INFO(step);
      CHECK(step.rfind("SEARCH ", 0) == 0);
      CHECK(step.find("TEMP B-TREE") == std::string::npos);  // no sort of the rows read
      campaignIndexUsed =
          campaignIndexUsed || step.find("coupons_by_campaign") != std::string::npos;
    }
  }
  CHECK(campaignIndexUsed);
}

}  // namespace
}  // namespace loyalty::core::storage::testing

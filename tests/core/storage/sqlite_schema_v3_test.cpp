// SqliteStore and schema step 3 (coupons, admin API): a database of the previous release
// migrates in place and keeps its data, a failed migration leaves it as it was, the new records
// survive a reopen, and every statement of the checkout path reads an index.
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
using base::Points;
using base::Result;
using base::Status;
using domain::AuditEntry;
using domain::Campaign;
using domain::Coupon;
using domain::Customer;
using domain::LedgerEntry;
using domain::LedgerKind;
using domain::Redemption;
using domain::Refund;
using domain::Role;
using domain::Sale;
using domain::StoreWriter;
using domain::Token;
using domain::User;

// A version 2 database (the previous release) with one customer and their history, written
// with the version 2 columns only: a sale of two lines and a tender, a partial refund, two
// ledger entries and a habit profile.
void makeVersion2Database(const std::string& path) {
  RawDb raw(path);
  REQUIRE(migrateSqliteSchemaTo(raw.handle(), 2).ok());
  REQUIRE(raw.integer("PRAGMA user_version") == 2);
  raw.exec(R"sql(
    INSERT INTO customers(id, card, tier, balance, enrolled_at_ms)
      VALUES (1, '6001', 'silver', 40, 111);
    INSERT INTO products(sku, name, category_path, brand) VALUES ('a', 'Apple', 'fruit', 'O');
    INSERT INTO sales(id, store, terminal, business_date, txn, fingerprint, customer_id, total,
                      points_earned, balance_after, created_at_ms)
      VALUES (1, 'S001', 'T01', '2026-03-14', '0001', -5, 1, 650, 6, 46, 1000);
    INSERT INTO sale_lines(sale_id, line, sku, quantity, unit_price, earns, refunded_quantity)
      VALUES (1, 1, 'a', 2, 300, 1, 1), (1, 2, 'b', 1, 50, 0, 0);
    INSERT INTO sale_tenders(sale_id, seq, type, amount) VALUES (1, 0, 'cash', 650);
    INSERT INTO refunds(id, store, terminal, business_date, txn, fingerprint, sale_id,
                        customer_id, amount, points_reversed, balance_after, created_at_ms)
      VALUES (1, 'S001', 'T01', '2026-03-14', '0002', 7, 1, 1, 300, 6, 40, 2000);
    INSERT INTO refund_lines(refund_id, seq, line, quantity) VALUES (1, 0, 1, 1);
    INSERT INTO ledger(id, customer_id, kind, points, sale_id, refund_id, created_at_ms)
      VALUES (1, 1, 0, 46, 1, NULL, 1000), (2, 1, 1, -6, NULL, 1, 2000);
    INSERT INTO habit_profiles(customer_id, profile, updated_at_ms) VALUES (1, x'0102', 1000);
  )sql");
}

TEST_CASE("SqliteStore: a version 2 database migrates past version 3 and keeps its data",
          "[storage][sqlite]") {
  TempDir dir("loyalty-storage");
  const std::string path = dir.file("loyalty.db");
  makeVersion2Database(path);

  auto store = openSqlite(sqliteOptions(path));
  CHECK(sqliteSchemaVersion() >= 3);
  {
    RawDb raw(path);
    CHECK(raw.integer("PRAGMA user_version") == sqliteSchemaVersion());
    CHECK(raw.column("PRAGMA foreign_key_check", 0).empty());
  }

  Result<std::optional<Customer>> customer = store->findCustomer("6001");
  REQUIRE(customer.ok());
  REQUIRE(customer->has_value());
  CHECK((*customer)->id == 1);
  CHECK((*customer)->tier == "silver");
  CHECK((*customer)->balance == Points(40));
  CHECK((*customer)->enrolledAtMs == 111);
  CHECK((*customer)->debt == Points(0));

  Result<std::vector<Sale>> sales = store->salesOf(1, 10);
  REQUIRE(sales.ok());
  REQUIRE(sales->size() == 1);
  const Sale& sale = sales->front();
  CHECK(sale.id == 1);
  CHECK(sale.fingerprint == static_cast<uint64_t>(-5));
  CHECK(sale.total == Money(650));
  CHECK(sale.pointsEarned == Points(6));
  CHECK(sale.balanceAfter == Points(46));
  CHECK(sale.createdAtMs == 1000);
  CHECK(sale.tier == "base");  // the defaults of the new fields
  CHECK(sale.discountTotal == Money(0));
  CHECK(sale.pointsRedeemed == Points(0));
  CHECK(sale.couponBonus == Points(0));
  REQUIRE(sale.lines.size() == 2);
  CHECK(sale.lines[0].sku == "a");
  CHECK(sale.lines[0].refundedQuantity == 1);
  CHECK(sale.lines[1].earns == false);
  for (const domain::SaleLine& line : sale.lines) {
    CHECK(line.discount == Money(0));
    CHECK(line.pointsTendered == Points(0));
    CHECK(line.pointsTenderValue == Money(0));
  }
  REQUIRE(sale.tenders.size() == 1);
  CHECK(sale.tenders[0].amount == Money(650));

  Result<std::optional<Refund>> refund =
      inWrite(*store, [](StoreWriter& w) { return w.findRefund(txnKey("0002")); });
  REQUIRE(refund.ok());
  REQUIRE(refund->has_value());
  CHECK((*refund)->amount == Money(300));
  CHECK((*refund)->pointsReversed == Points(6));
  CHECK((*refund)->pointsReturned == Points(0));
  CHECK((*refund)->debtAdded == Points(0));
  CHECK((*refund)->couponsReturned == 0);
  REQUIRE((*refund)->lines.size() == 1);

  Result<std::vector<LedgerEntry>> ledger = store->ledgerOf(1);
  REQUIRE(ledger.ok());
  REQUIRE(ledger->size() == 2);
  CHECK((*ledger)[0].id == 1);
  CHECK((*ledger)[0].kind == LedgerKind::kEarn);
  CHECK((*ledger)[0].saleId == 1);
  CHECK((*ledger)[1].kind == LedgerKind::kRefund);
  CHECK((*ledger)[1].refundId == 1);
  CHECK((*ledger)[1].note.empty());
  CHECK(store->habitProfile(1)->value() == std::string("\x01\x02", 2));
  CHECK(store->products()->size() == 1);
  CHECK(*inWrite(*store, [](StoreWriter& w) { return w.rollingSpend(1, 0); }) == Money(350));

  // The migrated database takes the new records, with ids after the old ones.
  CHECK(storeSale(*store, makeSale("0003", 1, {saleLine(1, "a", 1, 5)})) == 2);
  LedgerEntry redeem;
  redeem.customerId = 1;
  redeem.kind = LedgerKind::kRedeem;
  redeem.points = Points(-50);
  redeem.note = "points tender";
  Result<Points> balance = inWrite(*store, [&](StoreWriter& w) { return w.appendLedger(redeem); });
  REQUIRE(balance.ok());
  CHECK(*balance == Points(-10));  // below zero is allowed now
  CHECK(store->ledgerOf(1)->back().id == 3);
  Result<int64_t> campaignId =
      inWrite(*store, [](StoreWriter& w) { return w.insertCampaign(Campaign{}); });
  REQUIRE(campaignId.ok());

  // Foreign keys are enforced again after the migration.
  Coupon orphan;
  orphan.campaignId = *campaignId;
  orphan.customerId = 2;
  Result<uint64_t> serial = inWrite(*store, [&](StoreWriter& w) { return w.insertCoupon(orphan); });
  REQUIRE_FALSE(serial.ok());
  CHECK(serial.error().code == ErrorCode::kStorageFailure);
}

TEST_CASE("SqliteStore: a migration that fails leaves the database at its version",
          "[storage][sqlite]") {
  TempDir dir("loyalty-storage");
  const std::string path = dir.file("loyalty.db");
  makeVersion2Database(path);
  {
    // A ledger row naming a customer that does not exist (foreign keys were off for this
    // connection): step 3 checks the keys before it commits, and refuses.
    RawDb raw(path);
    raw.exec("INSERT INTO ledger(customer_id, kind, points, created_at_ms) VALUES (9, 2, 1, 1)");
  }
  Result<std::unique_ptr<SqliteStore>> opened = SqliteStore::open(sqliteOptions(path));
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.error().code == ErrorCode::kStorageFailure);
  CHECK_THAT(opened.error().message, Catch::Contains("ledger"));

  RawDb raw(path);
  CHECK(raw.integer("PRAGMA user_version") == 2);
  CHECK(raw.integer("SELECT count(*) FROM ledger") == 3);
  CHECK(raw.integer("SELECT count(*) FROM sqlite_schema WHERE name IN "
                    "('customers_v3', 'ledger_v3', 'campaigns', 'coupons')") == 0);
  // The version 2 constraint is still there: nothing of step 3 was applied.
  CHECK(raw.text("SELECT sql FROM sqlite_schema WHERE name = 'customers'").find("balance >= 0") !=
        std::string::npos);

  // Once the row is repaired, the migration goes through.
  raw.exec("DELETE FROM ledger WHERE customer_id = 9");
  auto store = openSqlite(sqliteOptions(path));
  CHECK(raw.integer("PRAGMA user_version") == sqliteSchemaVersion());
  CHECK(store->ledgerOf(1)->size() == 2);
}

TEST_CASE("SqliteStore: a version 1 database migrates through every step", "[storage][sqlite]") {
  TempDir dir("loyalty-storage");
  const std::string path = dir.file("loyalty.db");
  {
    RawDb raw(path);
    REQUIRE(migrateSqliteSchemaTo(raw.handle(), 1).ok());
    raw.exec(
        "INSERT INTO customers(card, tier, balance, enrolled_at_ms) VALUES ('6001', 'base', "
        "3, 1)");
    // migrateSqliteSchemaTo never goes backwards or past its target.
    REQUIRE(migrateSqliteSchemaTo(raw.handle(), 0).ok());
    CHECK(raw.integer("PRAGMA user_version") == 1);
    CHECK_FALSE(migrateSqliteSchemaTo(raw.handle(), sqliteSchemaVersion() + 1).ok());
  }
  auto store = openSqlite(sqliteOptions(path));
  Result<std::optional<Customer>> customer = store->findCustomer("6001");
  REQUIRE(customer.ok());
  REQUIRE(customer->has_value());
  CHECK((*customer)->balance == Points(3));
  CHECK((*customer)->debt == Points(0));
  RawDb raw(path);
  CHECK(raw.integer("PRAGMA user_version") == sqliteSchemaVersion());
}

TEST_CASE("SqliteStore: offers and admin records survive close and reopen", "[storage][sqlite]") {
  TempDir dir("loyalty-storage");
  const SqliteOptions options = sqliteOptions(dir.file("loyalty.db"));
  Campaign campaign;
  campaign.name = "Spring";
  campaign.stores = {"S001", "S002"};
  campaign.from = "2026-03-01";
  {
    auto store = openSqlite(options);
    Customer customer = enrol(*store, "6001");
    const int64_t saleId =
        storeSale(*store, makeSale("0001", customer.id, {saleLine(1, "a", 1, 9)}));
    Status s = store->write([&](StoreWriter& w) -> Status {
      Result<int64_t> campaignId = w.insertCampaign(campaign);
      REQUIRE(campaignId.ok());
      Coupon coupon;
      coupon.campaignId = *campaignId;
      coupon.customerId = customer.id;
      coupon.code = "LC1abc";
      coupon.reservedBy = txnKey("0009");
      Result<uint64_t> serial = w.insertCoupon(coupon);
      REQUIRE(serial.ok());
      Redemption redemption;
      redemption.serial = *serial;
      redemption.campaignId = *campaignId;
      redemption.customerId = customer.id;
      redemption.saleId = saleId;
      redemption.conflict = "double_use";
      REQUIRE(w.insertRedemption(redemption).ok());
      User user;
      user.name = "ann";
      user.role = Role::kStoreManager;
      user.stores = {"S001"};
      REQUIRE(w.insertUser(user).ok());
      REQUIRE(w.insertToken(Token{"h1", "ann", 5}).ok());
      REQUIRE(w.saveSetting("programme", "{\"v\":1}", 1).ok());
      REQUIRE(
          w.appendAudit(AuditEntry{0, 1, "ann", "user.create", "user:ann", "ok", "", "{}"}).ok());
      return base::okStatus();
    });
    REQUIRE(s.ok());
  }
  auto store = openSqlite(options);
  Result<std::optional<Campaign>> found = store->findCampaign(1);
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  CHECK((*found)->name == "Spring");
  CHECK((*found)->stores == campaign.stores);
  CHECK((*found)->from == campaign.from);
  CHECK_FALSE((*found)->to.has_value());
  Result<std::optional<Coupon>> coupon = store->findCoupon(1);
  REQUIRE(coupon.ok());
  REQUIRE(coupon->has_value());
  CHECK((*coupon)->code == "LC1abc");
  CHECK((*coupon)->reservedBy == txnKey("0009"));
  CHECK(store->conflicts(5)->size() == 1);
  CHECK(store->findUser("ann")->value().stores == std::vector<std::string>{"S001"});
  CHECK(store->findToken("h1")->value().user == "ann");
  CHECK(store->setting("programme")->value() == "{\"v\":1}");
  CHECK(store->audit(0, 5)->size() == 1);

  // New ids and serials continue after the stored ones.
  CHECK(*inWrite(*store, [](StoreWriter& w) { return w.insertCampaign(Campaign{}); }) == 2);
  Coupon next;
  next.campaignId = 2;
  next.customerId = 1;
  CHECK(*inWrite(*store, [&](StoreWriter& w) { return w.insertCoupon(next); }) == 2u);
  CHECK(*inWrite(*store, [](StoreWriter& w) {
    return w.appendAudit(AuditEntry{0, 2, "ann", "user.update", "user:ann", "ok", "", ""});
  }) == 2);
}

TEST_CASE("SqliteStore: every statement of the checkout path reads an index", "[storage][sqlite]") {
  TempDir dir("loyalty-storage");
  const std::string path = dir.file("loyalty.db");
  openSqlite(sqliteOptions(path)).reset();
  RawDb raw(path);
  const std::vector<std::string> statements = sqliteCheckoutStatementsForTest();
  REQUIRE(statements.size() >= 20);
  for (const std::string& sql : statements) {
    // Column 3 of EXPLAIN QUERY PLAN is the step: "SEARCH t USING INDEX i (...)" reads an index;
    // "SCAN t" reads the whole table. "SCAN CONSTANT ROW" is a SELECT without FROM.
    const std::vector<std::string> plan = raw.column("EXPLAIN QUERY PLAN " + sql, 3);
    INFO(sql);
    CHECK_FALSE(plan.empty());
    for (const std::string& step : plan) {
      INFO(step);
      const bool scan = step.rfind("SCAN ", 0) == 0 && step != "SCAN CONSTANT ROW";
      CHECK_FALSE(scan);
    }
  }
}

}  // namespace
}  // namespace loyalty::core::storage::testing

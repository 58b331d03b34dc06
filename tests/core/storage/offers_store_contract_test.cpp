// The LoyaltyStore contract added with coupons and the admin API (schema step 3), run on every
// backend: customers' tier and debt, rolling spend, the new fields of sales, refunds and the
// ledger, settings, campaigns, coupons, redemptions, users, tokens and the audit log.
#include <catch2/catch.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage_test_util.h"
#include "support/faulty_store.h"

namespace loyalty::core::storage::testing {
namespace {

using base::ErrorCode;
using base::Money;
using base::Points;
using base::Result;
using base::Status;
using domain::AuditEntry;
using domain::Campaign;
using domain::CampaignStatus;
using domain::Coupon;
using domain::CouponState;
using domain::Customer;
using domain::IssuanceKind;
using domain::LedgerEntry;
using domain::LedgerKind;
using domain::LoyaltyStore;
using domain::Redemption;
using domain::Refund;
using domain::RefundedLine;
using domain::Role;
using domain::Sale;
using domain::SaleLine;
using domain::StoreWriter;
using domain::Token;
using domain::TxnKey;
using domain::User;

#define LOYALTY_BACKENDS MemoryBackend, SqliteBackend

// ---- Builders ----

// A campaign with every field away from its default.
Campaign fullCampaign(const std::string& name) {
  Campaign c;
  c.name = name;
  c.ownerStore = "S001";
  c.status = CampaignStatus::kActive;
  c.from = "2026-03-01";
  c.to = "2026-03-31";
  c.reward.kind = offers::RewardKind::kBuyXGetY;
  c.reward.target = offers::TargetKind::kCategory;
  c.reward.value = "dairy/milk";
  c.reward.amount = Money(150);
  c.reward.percent = 20;
  c.reward.points = Points(75);
  c.reward.buyQuantity = 2;
  c.reward.getQuantity = 1;
  c.reward.maxGroups = 3;
  c.reward.minQuantity = 4;
  c.reward.minSpend = Money(999);
  c.tiers = {"gold", "silver_2"};
  c.stores = {"S001", "S-002"};
  c.validityDays = 14;
  c.budgetCount = 1'000;
  c.budgetCost = Money(500'000);
  c.capPerVisit = 2;
  c.capPerPeriod = 5;
  c.capPeriodDays = 7;
  c.issuance = IssuanceKind::kCheckoutTrigger;
  c.trigger.target = offers::TargetKind::kSku;
  c.trigger.value = "P12";
  c.trigger.minQuantity = 3;
  c.trigger.minSpend = Money(1'500);
  c.controlPercent = 10;
  c.personalizedCount = 3;
  c.discoverPercent = 45;
  c.allowBasketItems = true;
  c.issuedCount = 12;
  c.redeemedCost = Money(3'400);
  c.redeemedCount = 9;
  c.updatedAtMs = 1'700'000'000'123;
  return c;
}

void checkSameCampaign(const Campaign& a, const Campaign& b) {
  CHECK(a.name == b.name);
  CHECK(a.ownerStore == b.ownerStore);
  CHECK(a.status == b.status);
  CHECK(a.from == b.from);
  CHECK(a.to == b.to);
  CHECK(a.reward == b.reward);
  CHECK(a.tiers == b.tiers);
  CHECK(a.stores == b.stores);
  CHECK(a.validityDays == b.validityDays);
  CHECK(a.budgetCount == b.budgetCount);
  CHECK(a.budgetCost == b.budgetCost);
  CHECK(a.capPerVisit == b.capPerVisit);
  CHECK(a.capPerPeriod == b.capPerPeriod);
  CHECK(a.capPeriodDays == b.capPeriodDays);
  CHECK(a.issuance == b.issuance);
  CHECK(a.trigger.target == b.trigger.target);
  CHECK(a.trigger.value == b.trigger.value);
  CHECK(a.trigger.minQuantity == b.trigger.minQuantity);
  CHECK(a.trigger.minSpend == b.trigger.minSpend);
  CHECK(a.controlPercent == b.controlPercent);
  CHECK(a.personalizedCount == b.personalizedCount);
  CHECK(a.discoverPercent == b.discoverPercent);
  CHECK(a.allowBasketItems == b.allowBasketItems);
  CHECK(a.issuedCount == b.issuedCount);
  CHECK(a.redeemedCost == b.redeemedCost);
  CHECK(a.redeemedCount == b.redeemedCount);
  CHECK(a.updatedAtMs == b.updatedAtMs);
}

Coupon makeCoupon(int64_t campaignId, int64_t customerId, int64_t issuedAtMs = 1'000) {
  Coupon c;
  c.campaignId = campaignId;
  c.customerId = customerId;
  c.code = "LC1-" + std::to_string(campaignId) + "-" + std::to_string(issuedAtMs);
  c.expires = "2026-04-13";
  c.issuedAtMs = issuedAtMs;
  return c;
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
  if (a.reservedBy && b.reservedBy) {
    CHECK(*a.reservedBy == *b.reservedBy);
  }
  CHECK(a.reservedUntilMs == b.reservedUntilMs);
  CHECK(a.redeemedBySaleId == b.redeemedBySaleId);
}

Redemption makeRedemption(const Coupon& coupon, int64_t saleId, int64_t atMs) {
  Redemption r;
  r.serial = coupon.serial;
  r.campaignId = coupon.campaignId;
  r.customerId = coupon.customerId;
  r.saleId = saleId;
  r.discount = Money(150);
  r.bonusPoints = Points(20);
  r.createdAtMs = atMs;
  return r;
}

void checkSameRedemption(const Redemption& a, const Redemption& b) {
  CHECK(a.id == b.id);
  CHECK(a.serial == b.serial);
  CHECK(a.campaignId == b.campaignId);
  CHECK(a.customerId == b.customerId);
  CHECK(a.saleId == b.saleId);
  CHECK(a.discount == b.discount);
  CHECK(a.bonusPoints == b.bonusPoints);
  CHECK(a.offline == b.offline);
  CHECK(a.conflict == b.conflict);
  CHECK(a.createdAtMs == b.createdAtMs);
  CHECK(a.returnedByRefundId == b.returnedByRefundId);
}

User makeUser(const std::string& name, Role role, std::vector<std::string> stores = {}) {
  User u;
  u.name = name;
  u.role = role;
  u.stores = std::move(stores);
  u.passwordHash = "pbkdf2-sha256$1000$00ff$" + name;
  u.createdAtMs = 42;
  return u;
}

// ---- Store-level shortcuts (each its own write) ----

int64_t addCampaign(LoyaltyStore& store, const Campaign& campaign) {
  Result<int64_t> id = inWrite(store, [&](StoreWriter& w) { return w.insertCampaign(campaign); });
  INFO((id.ok() ? std::string() : id.error().message));
  REQUIRE(id.ok());
  return *id;
}

Coupon addCoupon(LoyaltyStore& store, Coupon coupon) {
  Result<uint64_t> serial = inWrite(store, [&](StoreWriter& w) { return w.insertCoupon(coupon); });
  INFO((serial.ok() ? std::string() : serial.error().message));
  REQUIRE(serial.ok());
  coupon.serial = *serial;
  return coupon;
}

Redemption addRedemption(LoyaltyStore& store, Redemption redemption) {
  Result<int64_t> id =
      inWrite(store, [&](StoreWriter& w) { return w.insertRedemption(redemption); });
  INFO((id.ok() ? std::string() : id.error().message));
  REQUIRE(id.ok());
  redemption.id = *id;
  return redemption;
}

Sale saleAt(const std::string& txn, int64_t customerId, int64_t total, int64_t atMs) {
  Sale sale = makeSale(txn, customerId, {saleLine(1, "a", 1, total)});
  sale.createdAtMs = atMs;
  return sale;
}

int64_t addRefund(LoyaltyStore& store, const std::string& txn, int64_t saleId, int64_t customerId,
                  int64_t amount, int64_t atMs) {
  Refund refund;
  refund.key = txnKey(txn);
  refund.saleId = saleId;
  refund.customerId = customerId;
  refund.amount = Money(amount);
  refund.createdAtMs = atMs;
  Result<int64_t> id = inWrite(store, [&](StoreWriter& w) { return w.insertRefund(refund); });
  REQUIRE(id.ok());
  return *id;
}

Result<Money> rollingSpend(LoyaltyStore& store, int64_t customerId, int64_t sinceMs) {
  return inWrite(store, [&](StoreWriter& w) { return w.rollingSpend(customerId, sinceMs); });
}

// ---- Sales, refunds, ledger: the new fields ----

TEMPLATE_TEST_CASE("LoyaltyStore: the new sale and sale line fields round-trip", "[storage]",
                   LOYALTY_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  Customer customer = enrol(*store, "6001");
  // 11 lines: one 8-line chunk and three single inserts in SqliteStore.
  std::vector<SaleLine> lines;
  for (int64_t n = 11; n >= 1; --n) {
    SaleLine line = saleLine(n, "sku-" + std::to_string(n), n, 100 * n, n % 2 == 0);
    line.discount = Money(7 * n);
    line.pointsTendered = Points(100 + n);
    line.pointsTenderValue = Money(10 + n);
    lines.push_back(line);
  }
  Sale sale = makeSale("0001", customer.id, lines);
  sale.tier = "gold";
  sale.discountTotal = Money(1'234);
  sale.pointsRedeemed = Points(500);
  sale.couponBonus = Points(40);
  const int64_t id = storeSale(*store, sale);

  std::optional<Sale> found = readSale(*store, sale.key);
  REQUIRE(found.has_value());
  CHECK(found->id == id);
  CHECK(found->tier == "gold");
  CHECK(found->discountTotal == Money(1'234));
  CHECK(found->pointsRedeemed == Points(500));
  CHECK(found->couponBonus == Points(40));
  REQUIRE(found->lines.size() == 11);
  for (size_t i = 0; i < found->lines.size(); ++i) {
    const SaleLine& line = found->lines[i];
    const auto n = static_cast<int64_t>(i) + 1;
    CHECK(line.line == n);
    CHECK(line.discount == Money(7 * n));
    CHECK(line.pointsTendered == Points(100 + n));
    CHECK(line.pointsTenderValue == Money(10 + n));
  }

  Result<std::vector<Sale>> history = store->salesOf(customer.id, 5);
  REQUIRE(history.ok());
  REQUIRE(history->size() == 1);
  CHECK(history->front().tier == "gold");
  CHECK(history->front().couponBonus == Points(40));
  REQUIRE(history->front().lines.size() == 11);
  CHECK(history->front().lines[10].pointsTenderValue == Money(21));

  Result<std::vector<Sale>> since = store->salesSince(0, 0, 5);
  REQUIRE(since.ok());
  REQUIRE(since->size() == 1);
  CHECK(since->front().discountTotal == Money(1'234));
  REQUIRE(since->front().lines.size() == 11);
  CHECK(since->front().lines[3].discount == Money(28));
  REQUIRE(since->front().tenders.size() == 1);
}

TEMPLATE_TEST_CASE("LoyaltyStore: the new refund fields round-trip", "[storage]",
                   LOYALTY_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  Customer customer = enrol(*store, "6001");
  Sale sale = makeSale("0001", customer.id, {saleLine(1, "a", 2, 100), saleLine(2, "b", 1, 50)});
  const int64_t saleId = storeSale(*store, sale);

  Refund refund;
  refund.key = txnKey("0002");
  refund.fingerprint = 0x8000'0000'0000'0001ULL;
  refund.saleId = saleId;
  refund.customerId = customer.id;
  refund.lines = {RefundedLine{2, 1}, RefundedLine{1, 1}};
  refund.amount = Money(150);
  refund.pointsReversed = Points(3);
  refund.pointsReturned = Points(200);
  refund.debtAdded = Points(2);
  refund.balanceAfter = Points(-1);
  refund.createdAtMs = 1'700'000'100'000;
  refund.couponsReturned = 2;
  Result<int64_t> id = inWrite(*store, [&](StoreWriter& w) { return w.insertRefund(refund); });
  REQUIRE(id.ok());

  Result<std::optional<Refund>> found =
      inWrite(*store, [&](StoreWriter& w) { return w.findRefund(refund.key); });
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  const Refund& r = **found;
  CHECK(r.id == *id);
  CHECK(r.key == refund.key);
  CHECK(r.fingerprint == refund.fingerprint);
  CHECK(r.saleId == saleId);
  CHECK(r.customerId == customer.id);
  REQUIRE(r.lines.size() == 2);
  CHECK(r.lines[0].line == 2);
  CHECK(r.lines[1].line == 1);
  CHECK(r.amount == Money(150));
  CHECK(r.pointsReversed == Points(3));
  CHECK(r.pointsReturned == Points(200));
  CHECK(r.debtAdded == Points(2));
  CHECK(r.balanceAfter == Points(-1));
  CHECK(r.createdAtMs == refund.createdAtMs);
  CHECK(r.couponsReturned == 2);
}

TEMPLATE_TEST_CASE("LoyaltyStore: every ledger kind and the note round-trip", "[storage]",
                   LOYALTY_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  Customer customer = enrol(*store, "6001");
  const int64_t saleId = storeSale(*store, makeSale("0001", customer.id, {saleLine(1, "a", 1, 9)}));
  const std::vector<LedgerKind> kinds = {LedgerKind::kEarn,       LedgerKind::kRefund,
                                         LedgerKind::kAdjustment, LedgerKind::kExpiry,
                                         LedgerKind::kRedeem,     LedgerKind::kOffset};
  int64_t points = 0;
  for (size_t i = 0; i < kinds.size(); ++i) {
    LedgerEntry entry;
    entry.customerId = customer.id;
    entry.kind = kinds[i];
    entry.points = Points(i % 2 == 0 ? 100 : -30);
    points += entry.points.value();
    if (kinds[i] == LedgerKind::kRedeem) {
      entry.saleId = saleId;
    }
    entry.createdAtMs = 10 + static_cast<int64_t>(i);
    entry.note = i == 3 ? "expiry of points earned before 2025-03-01" : "";
    Result<Points> balance = inWrite(*store, [&](StoreWriter& w) { return w.appendLedger(entry); });
    REQUIRE(balance.ok());
    CHECK(*balance == Points(points));
  }
  auto check = [&](const std::vector<LedgerEntry>& entries) {
    REQUIRE(entries.size() == kinds.size());
    for (size_t i = 0; i < kinds.size(); ++i) {
      CHECK(entries[i].id == static_cast<int64_t>(i) + 1);
      CHECK(entries[i].kind == kinds[i]);
      CHECK(entries[i].createdAtMs == 10 + static_cast<int64_t>(i));
      CHECK(entries[i].saleId ==
            (kinds[i] == LedgerKind::kRedeem ? std::optional<int64_t>(saleId) : std::nullopt));
    }
    CHECK(entries[3].note == "expiry of points earned before 2025-03-01");
    CHECK(entries[4].note.empty());
  };
  Result<std::vector<LedgerEntry>> committed = store->ledgerOf(customer.id);
  REQUIRE(committed.ok());
  check(*committed);
  Result<std::vector<LedgerEntry>> inFn =
      inWrite(*store, [&](StoreWriter& w) { return w.ledgerOf(customer.id); });
  REQUIRE(inFn.ok());
  check(*inFn);
  Result<std::vector<LedgerEntry>> nobody = store->ledgerOf(customer.id + 1);
  REQUIRE(nobody.ok());
  CHECK(nobody->empty());
}

// ---- Customers ----

TEMPLATE_TEST_CASE("LoyaltyStore: updateCustomer stores tier and debt only", "[storage]",
                   LOYALTY_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  Customer customer = enrol(*store, "6001", 123);
  CHECK(customer.debt == Points(0));
  REQUIRE(inWrite(*store, [&](StoreWriter& w) {
            LedgerEntry entry;
            entry.customerId = customer.id;
            entry.kind = LedgerKind::kAdjustment;
            entry.points = Points(50);
            return w.appendLedger(entry);
          }).ok());

  Customer changed = customer;
  changed.tier = "gold";
  changed.debt = Points(80);
  changed.balance = Points(9'999);  // ignored
  changed.card = "9999";            // ignored
  changed.enrolledAtMs = 7;         // ignored
  REQUIRE(inWrite(*store, [&](StoreWriter& w) { return w.updateCustomer(changed); }).ok());

  auto check = [&](const std::optional<Customer>& found) {
    REQUIRE(found.has_value());
    CHECK(found->id == customer.id);
    CHECK(found->card == "6001");
    CHECK(found->tier == "gold");
    CHECK(found->debt == Points(80));
    CHECK(found->balance == Points(50));
    CHECK(found->enrolledAtMs == 123);
  };
  Result<std::optional<Customer>> byCard = store->findCustomer("6001");
  REQUIRE(byCard.ok());
  check(*byCard);
  Result<std::optional<Customer>> byId = store->findCustomerById(customer.id);
  REQUIRE(byId.ok());
  check(*byId);
  Result<std::optional<Customer>> inFn =
      inWrite(*store, [&](StoreWriter& w) { return w.findCustomerById(customer.id); });
  REQUIRE(inFn.ok());
  check(*inFn);
  Result<std::optional<Customer>> missing = store->findCustomerById(customer.id + 1);
  REQUIRE(missing.ok());
  CHECK_FALSE(missing->has_value());

  SECTION("an unknown customer is kUnknownCustomer") {
    Customer unknown = changed;
    unknown.id = customer.id + 1;
    Status s = inWrite(*store, [&](StoreWriter& w) { return w.updateCustomer(unknown); });
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().code == ErrorCode::kUnknownCustomer);
  }
  SECTION("a negative debt is refused and changes nothing") {
    Customer negative = changed;
    negative.tier = "silver";
    negative.debt = Points(-1);
    Status s = inWrite(*store, [&](StoreWriter& w) { return w.updateCustomer(negative); });
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().code == ErrorCode::kStorageFailure);
    Result<std::optional<Customer>> after = store->findCustomerById(customer.id);
    REQUIRE(after.ok());
    check(*after);
  }
}

TEMPLATE_TEST_CASE("LoyaltyStore: rollingSpend is sales minus refunds since an instant",
                   "[storage]", LOYALTY_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  Customer alice = enrol(*store, "6001");
  Customer bob = enrol(*store, "6002");
  const int64_t old = storeSale(*store, saleAt("0001", alice.id, 10'000, 1'000));
  const int64_t recent = storeSale(*store, saleAt("0002", alice.id, 2'500, 5'000));
  storeSale(*store, saleAt("0003", alice.id, 700, 9'000));
  storeSale(*store, saleAt("0004", bob.id, 99'999, 6'000));
  storeSale(*store, saleAt("0005", 0, 55'555, 6'000));  // no customer
  addRefund(*store, "0006", old, alice.id, 4'000, 4'999);
  addRefund(*store, "0007", recent, alice.id, 1'000, 5'000);

  CHECK(*rollingSpend(*store, alice.id, 0) == Money(10'000 + 2'500 + 700 - 4'000 - 1'000));
  CHECK(*rollingSpend(*store, alice.id, 4'999) == Money(2'500 + 700 - 4'000 - 1'000));
  CHECK(*rollingSpend(*store, alice.id, 5'000) == Money(2'500 + 700 - 1'000));  // inclusive
  CHECK(*rollingSpend(*store, alice.id, 5'001) == Money(700));
  CHECK(*rollingSpend(*store, alice.id, 9'001) == Money(0));
  CHECK(*rollingSpend(*store, bob.id, 0) == Money(99'999));
  CHECK(*rollingSpend(*store, 77, 0) == Money(0));

  // A refund of an old sale inside the window makes the spend negative.
  addRefund(*store, "0008", old, alice.id, 6'000, 9'500);
  CHECK(*rollingSpend(*store, alice.id, 9'001) == Money(-6'000));
}

TEMPLATE_TEST_CASE("LoyaltyStore: customersWithPositiveBalance pages by id", "[storage]",
                   LOYALTY_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  const std::vector<int64_t> balances = {5, 0, 7, -3, 1, 9};
  for (size_t i = 0; i < balances.size(); ++i) {
    Customer c = enrol(*store, "60" + std::to_string(i));
    if (balances[i] != 0) {
      REQUIRE(inWrite(*store, [&](StoreWriter& w) {
                LedgerEntry entry;
                entry.customerId = c.id;
                entry.kind = LedgerKind::kAdjustment;
                entry.points = Points(balances[i]);
                return w.appendLedger(entry);
              }).ok());
    }
  }
  auto page = [&](int64_t afterId, size_t limit) {
    Result<std::vector<int64_t>> ids = inWrite(
        *store, [&](StoreWriter& w) { return w.customersWithPositiveBalance(afterId, limit); });
    REQUIRE(ids.ok());
    return *ids;
  };
  CHECK(page(0, 100) == std::vector<int64_t>{1, 3, 5, 6});
  CHECK(page(0, 2) == std::vector<int64_t>{1, 3});
  CHECK(page(3, 2) == std::vector<int64_t>{5, 6});
  CHECK(page(6, 2).empty());
  CHECK(page(0, 0).empty());
}

TEMPLATE_TEST_CASE("LoyaltyStore: salesSince pages sales by id from an instant", "[storage]",
                   LOYALTY_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  Customer customer = enrol(*store, "6001");
  // Ids 1..6; created times not in id order (as when tills upload late).
  const std::vector<int64_t> times = {100, 500, 300, 700, 200, 900};
  for (size_t i = 0; i < times.size(); ++i) {
    Sale sale = makeSale("s" + std::to_string(i), i % 2 == 0 ? customer.id : 0,
                         {saleLine(2, "b", 1, 20), saleLine(1, "a", 1, 10 * (i + 1))});
    sale.createdAtMs = times[i];
    storeSale(*store, sale);
  }
  auto ids = [&](int64_t sinceMs, int64_t afterId, size_t limit) {
    Result<std::vector<Sale>> sales = store->salesSince(sinceMs, afterId, limit);
    REQUIRE(sales.ok());
    std::vector<int64_t> out;
    for (const Sale& sale : *sales) {
      CHECK(sale.createdAtMs >= sinceMs);
      REQUIRE(sale.lines.size() == 2);
      CHECK(sale.lines[0].line == 1);
      CHECK(sale.lines[0].unitPrice == Money(10 * sale.id));
      CHECK(sale.tenders.size() == 1);
      out.push_back(sale.id);
    }
    return out;
  };
  CHECK(ids(0, 0, 100) == std::vector<int64_t>{1, 2, 3, 4, 5, 6});
  CHECK(ids(300, 0, 100) == std::vector<int64_t>{2, 3, 4, 6});
  CHECK(ids(300, 0, 2) == std::vector<int64_t>{2, 3});
  CHECK(ids(300, 3, 2) == std::vector<int64_t>{4, 6});
  CHECK(ids(300, 6, 2).empty());
  CHECK(ids(1'000, 0, 10).empty());
  CHECK(ids(0, 0, 0).empty());
}

// ---- Settings ----

TEMPLATE_TEST_CASE("LoyaltyStore: settings are saved, replaced and read", "[storage]",
                   LOYALTY_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  Result<std::optional<std::string>> none = store->setting("programme");
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());

  const std::string json = R"({"earn":{"base":1},"note":"caf\u00e9 ;,'\""})";
  REQUIRE(
      inWrite(*store, [&](StoreWriter& w) { return w.saveSetting("programme", json, 1); }).ok());
  REQUIRE(inWrite(*store, [&](StoreWriter& w) { return w.saveSetting("empty", "", 1); }).ok());
  CHECK(store->setting("programme")->value() == json);
  CHECK(store->setting("empty")->value().empty());

  Status replaced = store->write([&](StoreWriter& w) -> Status {
    if (Status s = w.saveSetting("programme", "v2", 2); !s.ok()) {
      return s;
    }
    Result<std::optional<std::string>> seen = w.findSetting("programme");
    REQUIRE(seen.ok());
    CHECK(seen->value() == "v2");                         // the fn sees its own write
    CHECK(store->setting("programme")->value() == json);  // reads see committed data only
    return base::okStatus();
  });
  REQUIRE(replaced.ok());
  CHECK(store->setting("programme")->value() == "v2");
  CHECK_FALSE(store->setting("Programme")->has_value());
}

// ---- Campaigns ----

TEMPLATE_TEST_CASE("LoyaltyStore: a campaign round-trips every field", "[storage]",
                   LOYALTY_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  Campaign full = fullCampaign("Milk weeks");
  full.id = 99;    // ignored
  Campaign plain;  // every default: no dates, empty lists, an empty name
  const int64_t first = addCampaign(*store, full);
  const int64_t second = addCampaign(*store, plain);
  CHECK(first == 1);
  CHECK(second == 2);

  Result<std::optional<Campaign>> found = store->findCampaign(first);
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  CHECK((*found)->id == first);
  checkSameCampaign(**found, full);

  Result<std::optional<Campaign>> inFn =
      inWrite(*store, [&](StoreWriter& w) { return w.findCampaign(second); });
  REQUIRE(inFn.ok());
  REQUIRE(inFn->has_value());
  CHECK((*inFn)->id == second);
  CHECK_FALSE((*inFn)->from.has_value());
  CHECK_FALSE((*inFn)->to.has_value());
  CHECK((*inFn)->tiers.empty());
  CHECK((*inFn)->stores.empty());
  checkSameCampaign(**inFn, plain);

  Result<std::vector<Campaign>> all = store->campaigns();
  REQUIRE(all.ok());
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].id == first);
  CHECK((*all)[1].id == second);
  Result<std::vector<Campaign>> allInFn =
      inWrite(*store, [](StoreWriter& w) { return w.campaigns(); });
  REQUIRE(allInFn.ok());
  CHECK(allInFn->size() == 2);

  Result<std::optional<Campaign>> missing = store->findCampaign(3);
  REQUIRE(missing.ok());
  CHECK_FALSE(missing->has_value());
}

TEMPLATE_TEST_CASE("LoyaltyStore: updateCampaign replaces every field", "[storage]",
                   LOYALTY_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  const int64_t id = addCampaign(*store, Campaign{});
  Campaign full = fullCampaign("Replaced");
  full.id = id;
  REQUIRE(inWrite(*store, [&](StoreWriter& w) { return w.updateCampaign(full); }).ok());
  checkSameCampaign(store->findCampaign(id)->value(), full);

  // And back to the defaults: optional dates and lists are cleared.
  Campaign plain;
  plain.id = id;
  REQUIRE(inWrite(*store, [&](StoreWriter& w) { return w.updateCampaign(plain); }).ok());
  checkSameCampaign(store->findCampaign(id)->value(), plain);

  Campaign unknown = full;
  unknown.id = id + 1;
  Status s = inWrite(*store, [&](StoreWriter& w) { return w.updateCampaign(unknown); });
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == ErrorCode::kUnknownCampaign);
  CHECK(store->campaigns()->size() == 1);
}

TEMPLATE_TEST_CASE("LoyaltyStore: a list with an empty name or a comma is refused", "[storage]",
                   LOYALTY_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  const int64_t id = addCampaign(*store, fullCampaign("ok"));
  Campaign bad = fullCampaign("bad");
  User user = makeUser("ann", Role::kStoreManager, {"S001"});
  SECTION("a store with a comma") {
    bad.stores = {"S001,S002"};
    user.stores = {"S001,S002"};
  }
  SECTION("an empty tier or store") {
    bad.tiers = {"gold", ""};
    user.stores = {""};
  }
  Result<int64_t> inserted = inWrite(*store, [&](StoreWriter& w) { return w.insertCampaign(bad); });
  REQUIRE_FALSE(inserted.ok());
  CHECK(inserted.error().code == ErrorCode::kInvalidValue);
  bad.id = id;
  Status updated = inWrite(*store, [&](StoreWriter& w) { return w.updateCampaign(bad); });
  REQUIRE_FALSE(updated.ok());
  CHECK(updated.error().code == ErrorCode::kInvalidValue);
  checkSameCampaign(store->findCampaign(id)->value(), fullCampaign("ok"));
  CHECK(store->campaigns()->size() == 1);

  Status userStatus = inWrite(*store, [&](StoreWriter& w) { return w.insertUser(user); });
  REQUIRE_FALSE(userStatus.ok());
  CHECK(userStatus.error().code == ErrorCode::kInvalidValue);
  CHECK(store->users()->empty());
}

// ---- Coupons ----

TEMPLATE_TEST_CASE("LoyaltyStore: a coupon round-trips and updateCoupon changes its state",
                   "[storage]", LOYALTY_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  Customer customer = enrol(*store, "6001");
  const int64_t campaignId = addCampaign(*store, fullCampaign("c"));
  const int64_t saleId = storeSale(*store, makeSale("0001", customer.id, {saleLine(1, "a", 1, 9)}));
  const int64_t otherSale =
      storeSale(*store, makeSale("0002", customer.id, {saleLine(1, "a", 1, 9)}));

  Coupon plain = addCoupon(*store, makeCoupon(campaignId, customer.id, 5'000));
  Coupon full = makeCoupon(campaignId, customer.id, 6'000);
  full.serial = 777;  // ignored
  full.state = CouponState::kRedeemed;
  full.issuedBySaleId = saleId;
  full.reservedBy = TxnKey{"S002", "T09", "2026-03-15", "0042"};
  full.reservedUntilMs = 6'900;
  full.redeemedBySaleId = otherSale;
  full = addCoupon(*store, full);
  CHECK(plain.serial == 1);
  CHECK(full.serial == 2);

  Result<std::optional<Coupon>> found = store->findCoupon(full.serial);
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  checkSameCoupon(**found, full);
  Result<std::optional<Coupon>> plainInFn =
      inWrite(*store, [&](StoreWriter& w) { return w.findCoupon(plain.serial); });
  REQUIRE(plainInFn.ok());
  REQUIRE(plainInFn->has_value());
  checkSameCoupon(**plainInFn, plain);
  CHECK_FALSE((*plainInFn)->reservedBy.has_value());
  CHECK_FALSE((*plainInFn)->issuedBySaleId.has_value());
  CHECK_FALSE(store->findCoupon(3)->has_value());
  CHECK_FALSE(store->findCoupon(0)->has_value());
  CHECK_FALSE(store->findCoupon(UINT64_MAX)->has_value());

  // Reserve the plain coupon, then redeem it: only code, state, reservation and redeemer change.
  Coupon reserved = plain;
  reserved.code = "LC1-new";
  reserved.reservedBy = txnKey("0003");
  reserved.reservedUntilMs = 9'000;
  reserved.campaignId = 12345;  // kept as stored
  reserved.customerId = 999;    // kept as stored
  reserved.expires = "2099-01-01";
  reserved.issuedAtMs = 1;
  REQUIRE(inWrite(*store, [&](StoreWriter& w) { return w.updateCoupon(reserved); }).ok());
  Coupon expected = plain;
  expected.code = "LC1-new";
  expected.reservedBy = txnKey("0003");
  expected.reservedUntilMs = 9'000;
  checkSameCoupon(store->findCoupon(plain.serial)->value(), expected);

  Coupon redeemed = expected;
  redeemed.state = CouponState::kRedeemed;
  redeemed.reservedBy.reset();
  redeemed.reservedUntilMs = 0;
  redeemed.redeemedBySaleId = saleId;
  REQUIRE(inWrite(*store, [&](StoreWriter& w) { return w.updateCoupon(redeemed); }).ok());
  checkSameCoupon(store->findCoupon(plain.serial)->value(), redeemed);

  Coupon voided = redeemed;
  voided.state = CouponState::kVoid;
  voided.redeemedBySaleId.reset();
  REQUIRE(inWrite(*store, [&](StoreWriter& w) { return w.updateCoupon(voided); }).ok());
  checkSameCoupon(store->findCoupon(plain.serial)->value(), voided);
}

TEMPLATE_TEST_CASE("LoyaltyStore: a coupon must name existing records", "[storage]",
                   LOYALTY_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  Customer customer = enrol(*store, "6001");
  const int64_t campaignId = addCampaign(*store, Campaign{});
  Coupon coupon = makeCoupon(campaignId, customer.id);
  SECTION("an unknown campaign") { coupon.campaignId = campaignId + 1; }
  SECTION("an unknown customer") { coupon.customerId = customer.id + 1; }
  SECTION("an unknown issuing sale") { coupon.issuedBySaleId = 5; }
  Result<uint64_t> inserted =
      inWrite(*store, [&](StoreWriter& w) { return w.insertCoupon(coupon); });
  REQUIRE_FALSE(inserted.ok());
  CHECK(inserted.error().code == ErrorCode::kStorageFailure);
  CHECK(store->couponsOf(customer.id)->empty());
  CHECK_FALSE(store->findCoupon(1)->has_value());

  // updateCoupon of a serial never assigned fails too.
  Coupon unknown = makeCoupon(campaignId, customer.id);
  unknown.serial = 1;
  Status updated = inWrite(*store, [&](StoreWriter& w) { return w.updateCoupon(unknown); });
  REQUIRE_FALSE(updated.ok());
  CHECK(updated.error().code == ErrorCode::kStorageFailure);
}

TEMPLATE_TEST_CASE("LoyaltyStore: coupon lookups and countIssued", "[storage]", LOYALTY_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  Customer alice = enrol(*store, "6001");
  Customer bob = enrol(*store, "6002");
  const int64_t c1 = addCampaign(*store, Campaign{});
  const int64_t c2 = addCampaign(*store, Campaign{});
  const int64_t saleId = storeSale(*store, makeSale("0001", alice.id, {saleLine(1, "a", 1, 9)}));

  Coupon a1 = makeCoupon(c1, alice.id, 1'000);
  a1.reservedBy = txnKey("0100");
  a1 = addCoupon(*store, a1);                        // serial 1
  addCoupon(*store, makeCoupon(c1, bob.id, 1'500));  // serial 2
  Coupon a2 = makeCoupon(c2, alice.id, 2'000);
  a2.issuedBySaleId = saleId;
  a2 = addCoupon(*store, a2);  // serial 3
  Coupon a3 = makeCoupon(c1, alice.id, 3'000);
  a3.issuedBySaleId = saleId;
  a3.reservedBy = txnKey("0100");
  a3 = addCoupon(*store, a3);  // serial 4
  Coupon other = makeCoupon(c1, bob.id, 3'000);
  TxnKey otherTerminal = txnKey("0100");
  otherTerminal.terminal = "T02";
  other.reservedBy = otherTerminal;
  addCoupon(*store, other);  // serial 5

  auto serials = [](const std::vector<Coupon>& coupons) {
    std::vector<uint64_t> out;
    for (const Coupon& c : coupons) {
      out.push_back(c.serial);
    }
    return out;
  };
  CHECK(serials(*store->couponsOf(alice.id)) == std::vector<uint64_t>{1, 3, 4});
  CHECK(serials(*store->couponsOf(bob.id)) == std::vector<uint64_t>{2, 5});
  CHECK(store->couponsOf(99)->empty());
  Result<std::vector<Coupon>> wallet =
      inWrite(*store, [&](StoreWriter& w) { return w.couponsOf(alice.id); });
  REQUIRE(wallet.ok());
  REQUIRE(wallet->size() == 3);
  checkSameCoupon((*wallet)[1], a2);

  Result<std::vector<Coupon>> held =
      inWrite(*store, [&](StoreWriter& w) { return w.couponsReservedBy(txnKey("0100")); });
  REQUIRE(held.ok());
  CHECK(serials(*held) == std::vector<uint64_t>{1, 4});
  Result<std::vector<Coupon>> heldElsewhere =
      inWrite(*store, [&](StoreWriter& w) { return w.couponsReservedBy(otherTerminal); });
  REQUIRE(heldElsewhere.ok());
  CHECK(serials(*heldElsewhere) == std::vector<uint64_t>{5});
  Result<std::vector<Coupon>> none =
      inWrite(*store, [&](StoreWriter& w) { return w.couponsReservedBy(txnKey("0101")); });
  REQUIRE(none.ok());
  CHECK(none->empty());

  Result<std::vector<Coupon>> printed =
      inWrite(*store, [&](StoreWriter& w) { return w.couponsIssuedBySale(saleId); });
  REQUIRE(printed.ok());
  CHECK(serials(*printed) == std::vector<uint64_t>{3, 4});
  Result<std::vector<Coupon>> notPrinted =
      inWrite(*store, [&](StoreWriter& w) { return w.couponsIssuedBySale(saleId + 1); });
  REQUIRE(notPrinted.ok());
  CHECK(notPrinted->empty());

  auto issued = [&](int64_t customerId, int64_t campaignId, int64_t sinceMs) {
    Result<int64_t> n = inWrite(
        *store, [&](StoreWriter& w) { return w.countIssued(customerId, campaignId, sinceMs); });
    REQUIRE(n.ok());
    return *n;
  };
  CHECK(issued(alice.id, c1, 0) == 2);
  CHECK(issued(alice.id, c1, 1'000) == 2);  // inclusive
  CHECK(issued(alice.id, c1, 1'001) == 1);
  CHECK(issued(alice.id, c1, 3'001) == 0);
  CHECK(issued(alice.id, c2, 0) == 1);
  CHECK(issued(bob.id, c1, 0) == 2);
  CHECK(issued(bob.id, c2, 0) == 0);
}

// ---- Redemptions ----

TEMPLATE_TEST_CASE("LoyaltyStore: redemptions by sale and by count and the conflicts list",
                   "[storage]", LOYALTY_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  Customer alice = enrol(*store, "6001");
  Customer bob = enrol(*store, "6002");
  const int64_t c1 = addCampaign(*store, Campaign{});
  const int64_t c2 = addCampaign(*store, Campaign{});
  const int64_t sale1 = storeSale(*store, makeSale("0001", alice.id, {saleLine(1, "a", 2, 9)}));
  const int64_t sale2 = storeSale(*store, makeSale("0002", alice.id, {saleLine(1, "a", 1, 9)}));
  const int64_t sale3 = storeSale(*store, makeSale("0003", bob.id, {saleLine(1, "a", 1, 9)}));
  Coupon a1 = addCoupon(*store, makeCoupon(c1, alice.id));
  Coupon a2 = addCoupon(*store, makeCoupon(c1, alice.id));
  Coupon a3 = addCoupon(*store, makeCoupon(c2, alice.id));
  Coupon b1 = addCoupon(*store, makeCoupon(c1, bob.id));

  Redemption r1 = addRedemption(*store, makeRedemption(a1, sale1, 1'000));
  Redemption r2 = makeRedemption(a2, sale1, 1'000);
  r2.offline = true;
  r2.conflict = "double_use";
  r2 = addRedemption(*store, r2);
  addRedemption(*store, makeRedemption(a3, sale2, 2'000));
  Redemption r4 = makeRedemption(b1, sale3, 2'500);
  r4.conflict = "campaign_inactive";
  r4 = addRedemption(*store, r4);
  Redemption r5 = addRedemption(*store, makeRedemption(a1, sale2, 3'000));
  CHECK(r1.id == 1);
  CHECK(r5.id == 5);

  Result<std::vector<Redemption>> ofSale1 =
      inWrite(*store, [&](StoreWriter& w) { return w.redemptionsOfSale(sale1); });
  REQUIRE(ofSale1.ok());
  REQUIRE(ofSale1->size() == 2);
  checkSameRedemption((*ofSale1)[0], r1);
  checkSameRedemption((*ofSale1)[1], r2);
  Result<std::vector<Redemption>> ofNone =
      inWrite(*store, [&](StoreWriter& w) { return w.redemptionsOfSale(sale3 + 1); });
  REQUIRE(ofNone.ok());
  CHECK(ofNone->empty());

  auto count = [&](int64_t customerId, int64_t campaignId, int64_t sinceMs) {
    Result<int64_t> n = inWrite(*store, [&](StoreWriter& w) {
      return w.countRedemptions(customerId, campaignId, sinceMs);
    });
    REQUIRE(n.ok());
    return *n;
  };
  CHECK(count(alice.id, c1, 0) == 3);
  CHECK(count(alice.id, c1, 1'000) == 3);  // inclusive
  CHECK(count(alice.id, c1, 1'001) == 1);
  CHECK(count(alice.id, c2, 0) == 1);
  CHECK(count(bob.id, c1, 0) == 1);
  CHECK(count(bob.id, c2, 0) == 0);

  // A returned redemption no longer counts.
  const int64_t refundId = addRefund(*store, "0004", sale1, alice.id, 9, 4'000);
  REQUIRE(inWrite(*store, [&](StoreWriter& w) {
            return w.markRedemptionReturned(r2.id, refundId);
          }).ok());
  CHECK(count(alice.id, c1, 0) == 2);
  Result<std::vector<Redemption>> after =
      inWrite(*store, [&](StoreWriter& w) { return w.redemptionsOfSale(sale1); });
  REQUIRE(after.ok());
  REQUIRE(after->size() == 2);
  CHECK_FALSE((*after)[0].returnedByRefundId.has_value());
  CHECK((*after)[1].returnedByRefundId == refundId);

  // Conflicts: newest first, at most limit; a returned one is still listed.
  Result<std::vector<Redemption>> conflicts = store->conflicts(10);
  REQUIRE(conflicts.ok());
  REQUIRE(conflicts->size() == 2);
  checkSameRedemption((*conflicts)[0], r4);
  CHECK((*conflicts)[1].id == r2.id);
  CHECK((*conflicts)[1].offline);
  CHECK((*conflicts)[1].conflict == "double_use");
  CHECK((*conflicts)[1].returnedByRefundId == refundId);
  Result<std::vector<Redemption>> newest = store->conflicts(1);
  REQUIRE(newest.ok());
  REQUIRE(newest->size() == 1);
  CHECK(newest->front().id == r4.id);
  CHECK(store->conflicts(0)->empty());
}

TEMPLATE_TEST_CASE("LoyaltyStore: a redemption must name existing records", "[storage]",
                   LOYALTY_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  Customer customer = enrol(*store, "6001");
  const int64_t campaignId = addCampaign(*store, Campaign{});
  const int64_t saleId = storeSale(*store, makeSale("0001", customer.id, {saleLine(1, "a", 1, 9)}));
  Coupon coupon = addCoupon(*store, makeCoupon(campaignId, customer.id));
  Redemption redemption = makeRedemption(coupon, saleId, 1);
  SECTION("an unknown coupon") { redemption.serial = coupon.serial + 1; }
  SECTION("an unknown campaign") { redemption.campaignId = campaignId + 1; }
  SECTION("an unknown customer") { redemption.customerId = customer.id + 1; }
  SECTION("an unknown sale") { redemption.saleId = saleId + 1; }
  SECTION("an unknown refund") { redemption.returnedByRefundId = 3; }
  Result<int64_t> inserted =
      inWrite(*store, [&](StoreWriter& w) { return w.insertRedemption(redemption); });
  REQUIRE_FALSE(inserted.ok());
  CHECK(inserted.error().code == ErrorCode::kStorageFailure);
  Result<std::vector<Redemption>> stored =
      inWrite(*store, [&](StoreWriter& w) { return w.redemptionsOfSale(saleId); });
  REQUIRE(stored.ok());
  CHECK(stored->empty());

  Status marked = inWrite(*store, [&](StoreWriter& w) { return w.markRedemptionReturned(1, 1); });
  REQUIRE_FALSE(marked.ok());
  CHECK(marked.error().code == ErrorCode::kStorageFailure);
}

// ---- Users, tokens, audit ----

TEMPLATE_TEST_CASE("LoyaltyStore: users are unique by name and updated and listed", "[storage]",
                   LOYALTY_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  CHECK(*inWrite(*store, [](StoreWriter& w) { return w.countUsers(); }) == 0);
  User zoe = makeUser("zoe", Role::kHqAdmin);
  User ann = makeUser("ann", Role::kStoreManager, {"S001", "S_02", "s-3"});
  ann.disabled = true;
  User bob = makeUser("bob", Role::kAnalyst);
  for (const User& user : {zoe, ann, bob}) {
    REQUIRE(inWrite(*store, [&](StoreWriter& w) { return w.insertUser(user); }).ok());
  }
  CHECK(*inWrite(*store, [](StoreWriter& w) { return w.countUsers(); }) == 3);

  auto checkSame = [](const User& a, const User& b) {
    CHECK(a.name == b.name);
    CHECK(a.role == b.role);
    CHECK(a.stores == b.stores);
    CHECK(a.passwordHash == b.passwordHash);
    CHECK(a.createdAtMs == b.createdAtMs);
    CHECK(a.disabled == b.disabled);
  };
  Result<std::vector<User>> all = store->users();
  REQUIRE(all.ok());
  REQUIRE(all->size() == 3);
  checkSame((*all)[0], ann);
  checkSame((*all)[1], bob);
  checkSame((*all)[2], zoe);
  Result<std::optional<User>> found =
      inWrite(*store, [](StoreWriter& w) { return w.findUser("ann"); });
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  checkSame(**found, ann);
  CHECK_FALSE(store->findUser("Ann")->has_value());

  User duplicate = makeUser("bob", Role::kHqAdmin);
  Status again = inWrite(*store, [&](StoreWriter& w) { return w.insertUser(duplicate); });
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == ErrorCode::kInvalidState);
  checkSame(store->findUser("bob")->value(), bob);

  User changed = bob;
  changed.role = Role::kStoreManager;
  changed.stores = {"S009"};
  changed.passwordHash = "pbkdf2-sha256$2000$aa$bb";
  changed.disabled = true;
  REQUIRE(inWrite(*store, [&](StoreWriter& w) { return w.updateUser(changed); }).ok());
  checkSame(store->findUser("bob")->value(), changed);

  User ghost = makeUser("ghost", Role::kAnalyst);
  Status updated = inWrite(*store, [&](StoreWriter& w) { return w.updateUser(ghost); });
  REQUIRE_FALSE(updated.ok());
  CHECK(updated.error().code == ErrorCode::kStorageFailure);
  CHECK(store->users()->size() == 3);
}

TEMPLATE_TEST_CASE("LoyaltyStore: tokens are found by hash and need a user", "[storage]",
                   LOYALTY_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  REQUIRE(inWrite(*store, [](StoreWriter& w) {
            return w.insertUser(makeUser("ann", Role::kHqAdmin));
          }).ok());
  const Token token{std::string(64, 'a'), "ann", 1'700'000'900'000};
  REQUIRE(inWrite(*store, [&](StoreWriter& w) { return w.insertToken(token); }).ok());

  Result<std::optional<Token>> found = store->findToken(token.hash);
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  CHECK((*found)->hash == token.hash);
  CHECK((*found)->user == "ann");
  CHECK((*found)->expiresAtMs == token.expiresAtMs);
  CHECK_FALSE(store->findToken(std::string(64, 'b'))->has_value());

  Token orphan{std::string(64, 'c'), "nobody", 1};
  Status s = inWrite(*store, [&](StoreWriter& w) { return w.insertToken(orphan); });
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == ErrorCode::kStorageFailure);
  CHECK_FALSE(store->findToken(orphan.hash)->has_value());

  Status twice = inWrite(*store, [&](StoreWriter& w) { return w.insertToken(token); });
  REQUIRE_FALSE(twice.ok());
  CHECK(twice.error().code == ErrorCode::kStorageFailure);
}

TEMPLATE_TEST_CASE("LoyaltyStore: the audit log pages newest first", "[storage]",
                   LOYALTY_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  CHECK(store->audit(0, 10)->empty());
  for (int i = 1; i <= 5; ++i) {
    AuditEntry entry;
    entry.id = 100;  // ignored
    entry.atMs = 1'000 * i;
    entry.user = i % 2 == 0 ? "ann" : "unknown-user";
    entry.action = "campaign.update";
    entry.target = "campaign:" + std::to_string(i);
    entry.outcome = i == 3 ? "denied" : "ok";
    entry.before = i == 1 ? "" : R"({"name":"v)" + std::to_string(i - 1) + R"("})";
    entry.after = R"({"name":"v)" + std::to_string(i) + R"("})";
    Result<int64_t> id = inWrite(*store, [&](StoreWriter& w) { return w.appendAudit(entry); });
    REQUIRE(id.ok());
    CHECK(*id == i);
  }
  auto ids = [&](int64_t beforeId, size_t limit) {
    Result<std::vector<AuditEntry>> page = store->audit(beforeId, limit);
    REQUIRE(page.ok());
    std::vector<int64_t> out;
    for (const AuditEntry& e : *page) {
      out.push_back(e.id);
    }
    return out;
  };
  CHECK(ids(0, 2) == std::vector<int64_t>{5, 4});
  CHECK(ids(4, 2) == std::vector<int64_t>{3, 2});
  CHECK(ids(2, 2) == std::vector<int64_t>{1});
  CHECK(ids(1, 2).empty());
  CHECK(ids(0, 100) == std::vector<int64_t>{5, 4, 3, 2, 1});
  CHECK(ids(99, 1) == std::vector<int64_t>{5});
  CHECK(ids(0, 0).empty());

  Result<std::vector<AuditEntry>> third = store->audit(4, 1);
  REQUIRE(third.ok());
  REQUIRE(third->size() == 1);
  const AuditEntry& e = third->front();
  CHECK(e.id == 3);
  CHECK(e.atMs == 3'000);
  CHECK(e.user == "unknown-user");
  CHECK(e.action == "campaign.update");
  CHECK(e.target == "campaign:3");
  CHECK(e.outcome == "denied");
  CHECK(e.before == R"({"name":"v2"})");
  CHECK(e.after == R"({"name":"v3"})");
}

// ---- Atomicity and visibility ----

// Writes one of everything new; REQUIREs each call to succeed.
void writeOffersRecords(StoreWriter& w, int64_t customerId, int64_t saleId) {
  Result<int64_t> campaignId = w.insertCampaign(fullCampaign("gone"));
  REQUIRE(campaignId.ok());
  Coupon coupon = makeCoupon(*campaignId, customerId);
  Result<uint64_t> serial = w.insertCoupon(coupon);
  REQUIRE(serial.ok());
  coupon.serial = *serial;
  REQUIRE(w.insertRedemption(makeRedemption(coupon, saleId, 1)).ok());
  REQUIRE(w.saveSetting("programme", "{}", 1).ok());
  REQUIRE(w.insertUser(makeUser("ann", Role::kHqAdmin)).ok());
  REQUIRE(w.insertToken(Token{"hash", "ann", 1}).ok());
  REQUIRE(
      w.appendAudit(AuditEntry{0, 1, "ann", "campaign.create", "campaign:1", "ok", "", "{}"}).ok());
  Customer customer = w.findCustomerById(customerId)->value();
  customer.tier = "gold";
  customer.debt = Points(5);
  REQUIRE(w.updateCustomer(customer).ok());
}

void checkNoOffersRecords(LoyaltyStore& store, int64_t customerId, int64_t saleId) {
  CHECK(store.campaigns()->empty());
  CHECK_FALSE(store.findCampaign(1)->has_value());
  CHECK(store.couponsOf(customerId)->empty());
  CHECK_FALSE(store.findCoupon(1)->has_value());
  CHECK(store.conflicts(10)->empty());
  Result<std::vector<Redemption>> redemptions =
      inWrite(store, [&](StoreWriter& w) { return w.redemptionsOfSale(saleId); });
  REQUIRE(redemptions.ok());
  CHECK(redemptions->empty());
  CHECK_FALSE(store.setting("programme")->has_value());
  CHECK(store.users()->empty());
  CHECK_FALSE(store.findToken("hash")->has_value());
  CHECK(store.audit(0, 10)->empty());
  Customer customer = store.findCustomerById(customerId)->value();
  CHECK(customer.tier == "base");
  CHECK(customer.debt == Points(0));
}

TEMPLATE_TEST_CASE("LoyaltyStore: a failed write leaves no campaign, coupon or redemption",
                   "[storage]", LOYALTY_BACKENDS) {
  TestType backend;
  auto inner = backend.open();
  ::loyalty::testing::FaultyStore store(*inner);
  Customer customer = enrol(store, "6001");
  const int64_t saleId = storeSale(store, makeSale("0001", customer.id, {saleLine(1, "a", 1, 9)}));

  SECTION("the fn returns an error") {
    Status s = store.write([&](StoreWriter& w) -> Status {
      writeOffersRecords(w, customer.id, saleId);
      return base::makeError(ErrorCode::kBudgetExhausted, "no budget");
    });
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().code == ErrorCode::kBudgetExhausted);
  }
  SECTION("the commit fails") {
    store.failAfterFn = true;
    Status s = store.write([&](StoreWriter& w) -> Status {
      writeOffersRecords(w, customer.id, saleId);
      return base::okStatus();
    });
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().code == ErrorCode::kStorageFailure);
    store.failAfterFn = false;
  }
  checkNoOffersRecords(store, customer.id, saleId);

  // The next write succeeds and its records read back through the decorator.
  Status s = store.write([&](StoreWriter& w) -> Status {
    writeOffersRecords(w, customer.id, saleId);
    return base::okStatus();
  });
  REQUIRE(s.ok());
  CHECK(store.campaigns()->size() == 1);
  CHECK(store.couponsOf(customer.id)->size() == 1);
  CHECK(store.findCoupon(store.couponsOf(customer.id)->front().serial)->has_value());
  CHECK(store.users()->size() == 1);
  CHECK(store.findUser("ann")->has_value());
  CHECK(store.findToken("hash")->has_value());
  CHECK(store.audit(0, 10)->size() == 1);
  CHECK(store.setting("programme")->value() == "{}");
  CHECK(store.findCustomerById(customer.id)->value().tier == "gold");
  CHECK(store.salesSince(0, 0, 10)->size() == 1);
}

TEMPLATE_TEST_CASE("LoyaltyStore: reads see only committed offers records", "[storage]",
                   LOYALTY_BACKENDS) {
  TestType backend;
  auto store = backend.open();
  Customer customer = enrol(*store, "6001");
  const int64_t saleId = storeSale(*store, makeSale("0001", customer.id, {saleLine(1, "a", 1, 9)}));
  Status s = store->write([&](StoreWriter& w) -> Status {
    writeOffersRecords(w, customer.id, saleId);
    // The fn's writes are not committed yet: the store's reads do not see them.
    CHECK(store->campaigns()->empty());
    CHECK(store->couponsOf(customer.id)->empty());
    CHECK(store->users()->empty());
    CHECK(store->audit(0, 10)->empty());
    CHECK(store->findCustomerById(customer.id)->value().tier == "base");
    // The writer does.
    CHECK(w.campaigns()->size() == 1);
    CHECK(w.couponsOf(customer.id)->size() == 1);
    CHECK(w.countUsers().value() == 1);
    return base::okStatus();
  });
  REQUIRE(s.ok());
  CHECK(store->campaigns()->size() == 1);
  CHECK(store->users()->size() == 1);
}

}  // namespace
}  // namespace loyalty::core::storage::testing

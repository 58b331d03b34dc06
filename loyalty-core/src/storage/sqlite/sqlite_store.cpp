#include "storage/sqlite/sqlite_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>
#include <filesystem>
#include <functional>
#include <limits>
#include <system_error>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "storage/name_list.h"
#include "storage/sqlite/schema.h"
#include "storage/sqlite/sqlite_connection.h"

namespace loyalty::core::storage {

using base::ErrorCode;
using base::Result;
using base::Status;
using domain::AuditEntry;
using domain::Campaign;
using domain::CampaignStatus;
using domain::Coupon;
using domain::CouponState;
using domain::Customer;
using domain::LedgerEntry;
using domain::LedgerKind;
using domain::Money;
using domain::Points;
using domain::Product;
using domain::Redemption;
using domain::Refund;
using domain::RefundedLine;
using domain::Sale;
using domain::SaleLine;
using domain::Tender;
using domain::Token;
using domain::TxnKey;
using domain::User;

namespace {

// ---- The statements, prepared once per connection (the slot is the enumerator) ----

enum Sql : size_t {
  kBeginWrite,
  kBeginRead,
  kCommit,
  kRollback,
  kSavepoint,
  kRelease,
  kRollbackTo,
  kOpSavepoint,
  kOpRelease,
  kOpRollbackTo,
  kFindCustomer,
  kFindCustomerById,
  kInsertCustomer,
  kUpdateCustomer,
  kRollingSpend,
  kPositiveBalances,
  kFindSale,
  kLinesOfSale,
  kTendersOfSale,
  kFindRefund,
  kLinesOfRefund,
  kInsertSale,
  kInsertSaleLine,
  kInsertSaleLines,
  kInsertTender,
  kInsertRefund,
  kInsertRefundLine,
  kAddRefunded,
  kAddToBalance,
  kInsertLedger,
  kUpsertProduct,
  kSalesOf,
  kLinesOfSalesOf,
  kTendersOfSalesOf,
  kSalesSince,
  kLinesOfSaleRange,
  kTendersOfSaleRange,
  kLedgerOf,
  kProducts,
  kFindHabitProfile,
  kSaveHabitProfile,
  kHabitProfiles,
  kFindSetting,
  kSaveSetting,
  kInsertCampaign,
  kUpdateCampaign,
  kFindCampaign,
  kCampaigns,
  kInsertCoupon,
  kUpdateCoupon,
  kFindCoupon,
  kCouponsOf,
  kCouponsOfCampaign,
  kCouponsReservedBy,
  kCouponsIssuedBySale,
  kCountIssued,
  kInsertRedemption,
  kMarkRedemptionReturned,
  kRedemptionsOfSale,
  kCountRedemptions,
  kConflicts,
  kInsertUser,
  kUpdateUser,
  kFindUser,
  kUsers,
  kCountUsers,
  kInsertToken,
  kFindToken,
  kAppendAudit,
  kAudit,
};

#define LOYALTY_CUSTOMER_COLUMNS "id, card, tier, balance, enrolled_at_ms, debt"
#define LOYALTY_SALE_COLUMNS                                                                  \
  "id, store, terminal, business_date, txn, fingerprint, customer_id, total, points_earned, " \
  "balance_after, created_at_ms, tier, discount_total, points_redeemed, coupon_bonus"
#define LOYALTY_LINE_COLUMNS                                                               \
  "line, sku, quantity, unit_price, earns, refunded_quantity, discount, points_tendered, " \
  "points_tender_value"
#define LOYALTY_KEY_MATCHES "store = ?1 AND terminal = ?2 AND business_date = ?3 AND txn = ?4"
#define LOYALTY_LINE_ROW "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
#define LOYALTY_SALES_OF "SELECT id FROM sales WHERE customer_id = ?1 ORDER BY id DESC LIMIT ?2"
#define LOYALTY_LEDGER_COLUMNS \
  "id, customer_id, kind, points, sale_id, refund_id, created_at_ms, note"
// Every column of campaigns but id, in the order campaignFields() passes the values.
#define LOYALTY_CAMPAIGN_FIELDS                                                               \
  "name, owner_store, status, from_date, to_date, reward_kind, reward_target, reward_value, " \
  "reward_amount, reward_percent, reward_points, reward_buy_quantity, reward_get_quantity, "  \
  "reward_max_groups, reward_min_quantity, reward_min_spend, tiers, stores, validity_days, "  \
  "budget_count, budget_cost, cap_per_visit, cap_per_period, cap_period_days, issuance, "     \
  "trigger_target, trigger_value, trigger_min_quantity, trigger_min_spend, control_percent, " \
  "personalized_count, discover_percent, allow_basket_items, issued_count, redeemed_cost, "   \
  "redeemed_count, updated_at_ms"
#define LOYALTY_CAMPAIGN_VALUES                                                             \
  "?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, " \
  "?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35, ?36, ?37, ?38"
#define LOYALTY_COUPON_COLUMNS                                                     \
  "serial, campaign_id, customer_id, code, sku, expires, state, issued_at_ms, "    \
  "issued_by_sale_id, reserved_store, reserved_terminal, reserved_business_date, " \
  "reserved_txn, reserved_until_ms, redeemed_by_sale_id"
#define LOYALTY_REDEMPTION_COLUMNS                                                   \
  "id, serial, campaign_id, customer_id, sale_id, discount, bonus_points, offline, " \
  "conflict, created_at_ms, returned_by_refund_id"
#define LOYALTY_USER_COLUMNS "name, role, stores, password_hash, created_at_ms, disabled"
#define LOYALTY_AUDIT_COLUMNS \
  "id, at_ms, user_name, action, target, outcome, before_json, after_json"

const char* sqlText(Sql sql) {
  switch (sql) {
    case kBeginWrite:
      return "BEGIN IMMEDIATE";
    case kBeginRead:
      return "BEGIN";
    case kCommit:
      return "COMMIT";
    case kRollback:
      return "ROLLBACK";
    case kSavepoint:
      return "SAVEPOINT job";
    case kRelease:
      return "RELEASE job";
    case kRollbackTo:
      return "ROLLBACK TO job";
    case kOpSavepoint:
      return "SAVEPOINT op";
    case kOpRelease:
      return "RELEASE op";
    case kOpRollbackTo:
      return "ROLLBACK TO op";
    case kFindCustomer:
      return "SELECT " LOYALTY_CUSTOMER_COLUMNS " FROM customers WHERE card = ?1";
    case kFindCustomerById:
      return "SELECT " LOYALTY_CUSTOMER_COLUMNS " FROM customers WHERE id = ?1";
    case kInsertCustomer:
      return "INSERT INTO customers(card, tier, balance, enrolled_at_ms, debt) "
             "VALUES (?1, 'base', 0, ?2, 0)";
    case kUpdateCustomer:
      return "UPDATE customers SET tier = ?2, debt = ?3 WHERE id = ?1";
    case kRollingSpend:  // both sums read covering indexes (schema step 3)
      return "SELECT (SELECT coalesce(sum(total), 0) FROM sales WHERE customer_id = ?1 AND "
             "created_at_ms >= ?2), (SELECT coalesce(sum(amount), 0) FROM refunds WHERE "
             "customer_id = ?1 AND created_at_ms >= ?2)";
    case kPositiveBalances:
      return "SELECT id FROM customers WHERE id > ?1 AND balance > 0 ORDER BY id LIMIT ?2";
    case kFindSale:
      return "SELECT " LOYALTY_SALE_COLUMNS " FROM sales WHERE " LOYALTY_KEY_MATCHES;
    case kLinesOfSale:
      return "SELECT " LOYALTY_LINE_COLUMNS " FROM sale_lines WHERE sale_id = ?1 ORDER BY line";
    case kTendersOfSale:
      return "SELECT type, amount FROM sale_tenders WHERE sale_id = ?1 ORDER BY seq";
    case kFindRefund:
      return "SELECT id, fingerprint, sale_id, customer_id, amount, points_reversed, "
             "balance_after, created_at_ms, points_returned, debt_added, coupons_returned "
             "FROM refunds WHERE " LOYALTY_KEY_MATCHES;
    case kLinesOfRefund:
      return "SELECT line, quantity FROM refund_lines WHERE refund_id = ?1 ORDER BY seq";
    case kInsertSale:
      return "INSERT INTO sales(store, terminal, business_date, txn, fingerprint, customer_id, "
             "total, points_earned, balance_after, created_at_ms, tier, discount_total, "
             "points_redeemed, coupon_bonus) "
             "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";
    case kInsertSaleLine:
      return "INSERT INTO sale_lines(sale_id, " LOYALTY_LINE_COLUMNS
             ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
    case kInsertSaleLines:  // kLinesPerInsert rows
      return "INSERT INTO sale_lines(sale_id, " LOYALTY_LINE_COLUMNS ") VALUES " LOYALTY_LINE_ROW
             ", " LOYALTY_LINE_ROW ", " LOYALTY_LINE_ROW ", " LOYALTY_LINE_ROW ", " LOYALTY_LINE_ROW
             ", " LOYALTY_LINE_ROW ", " LOYALTY_LINE_ROW ", " LOYALTY_LINE_ROW;
    case kInsertTender:
      return "INSERT INTO sale_tenders(sale_id, seq, type, amount) VALUES (?1, ?2, ?3, ?4)";
    case kInsertRefund:
      return "INSERT INTO refunds(store, terminal, business_date, txn, fingerprint, sale_id, "
             "customer_id, amount, points_reversed, balance_after, created_at_ms, "
             "points_returned, debt_added, coupons_returned) "
             "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";
    case kInsertRefundLine:
      return "INSERT INTO refund_lines(refund_id, seq, line, quantity) VALUES (?1, ?2, ?3, ?4)";
    case kAddRefunded:
      return "UPDATE sale_lines SET refunded_quantity = refunded_quantity + ?3 "
             "WHERE sale_id = ?1 AND line = ?2";
    case kAddToBalance:
      return "UPDATE customers SET balance = balance + ?2 WHERE id = ?1 RETURNING balance";
    case kInsertLedger:
      return "INSERT INTO ledger(customer_id, kind, points, sale_id, refund_id, created_at_ms, "
             "note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
    case kUpsertProduct:
      return "INSERT INTO products(sku, name, category_path, brand) VALUES (?1, ?2, ?3, ?4) "
             "ON CONFLICT(sku) DO UPDATE SET name = excluded.name, "
             "category_path = excluded.category_path, brand = excluded.brand";
    case kSalesOf:
      return "SELECT " LOYALTY_SALE_COLUMNS
             " FROM sales WHERE customer_id = ?1 ORDER BY id DESC LIMIT ?2";
    case kLinesOfSalesOf:
      return "SELECT sale_id, " LOYALTY_LINE_COLUMNS
             " FROM sale_lines WHERE sale_id IN (" LOYALTY_SALES_OF ") ORDER BY sale_id, line";
    case kTendersOfSalesOf:
      return "SELECT sale_id, type, amount FROM sale_tenders WHERE sale_id IN (" LOYALTY_SALES_OF
             ") ORDER BY sale_id, seq";
    case kSalesSince:
      return "SELECT " LOYALTY_SALE_COLUMNS
             " FROM sales WHERE id > ?2 AND created_at_ms >= ?1 ORDER BY id LIMIT ?3";
    case kLinesOfSaleRange:
      return "SELECT sale_id, " LOYALTY_LINE_COLUMNS
             " FROM sale_lines WHERE sale_id BETWEEN ?1 AND ?2 ORDER BY sale_id, line";
    case kTendersOfSaleRange:
      return "SELECT sale_id, type, amount FROM sale_tenders WHERE sale_id BETWEEN ?1 AND ?2 "
             "ORDER BY sale_id, seq";
    case kLedgerOf:
      return "SELECT " LOYALTY_LEDGER_COLUMNS " FROM ledger WHERE customer_id = ?1 ORDER BY id";
    case kProducts:
      return "SELECT sku, name, category_path, brand FROM products ORDER BY sku";
    case kFindHabitProfile:
      return "SELECT profile FROM habit_profiles WHERE customer_id = ?1";
    case kSaveHabitProfile:
      return "INSERT INTO habit_profiles(customer_id, profile, updated_at_ms) VALUES (?1, ?2, ?3) "
             "ON CONFLICT(customer_id) DO UPDATE SET profile = excluded.profile, "
             "updated_at_ms = excluded.updated_at_ms";
    case kHabitProfiles:  // a range of the primary key
      return "SELECT customer_id, profile FROM habit_profiles WHERE customer_id > ?1 "
             "ORDER BY customer_id LIMIT ?2";
    case kFindSetting:
      return "SELECT value FROM settings WHERE name = ?1";
    case kSaveSetting:
      return "INSERT INTO settings(name, value, updated_at_ms) VALUES (?1, ?2, ?3) "
             "ON CONFLICT(name) DO UPDATE SET value = excluded.value, "
             "updated_at_ms = excluded.updated_at_ms";
    case kInsertCampaign:  // ?1 is the id: NULL, so SQLite assigns it
      return "INSERT INTO campaigns(id, " LOYALTY_CAMPAIGN_FIELDS
             ") VALUES (?1, " LOYALTY_CAMPAIGN_VALUES ")";
    case kUpdateCampaign:
      return "UPDATE campaigns SET (" LOYALTY_CAMPAIGN_FIELDS ") = (" LOYALTY_CAMPAIGN_VALUES
             ") WHERE id = ?1";
    case kFindCampaign:
      return "SELECT id, " LOYALTY_CAMPAIGN_FIELDS " FROM campaigns WHERE id = ?1";
    case kCampaigns:
      return "SELECT id, " LOYALTY_CAMPAIGN_FIELDS " FROM campaigns ORDER BY id";
    case kInsertCoupon:  // ?1 is the serial: NULL, so SQLite assigns it
      return "INSERT INTO coupons(" LOYALTY_COUPON_COLUMNS
             ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";
    case kUpdateCoupon:
      return "UPDATE coupons SET code = ?4, state = ?7, reserved_store = ?10, "
             "reserved_terminal = ?11, reserved_business_date = ?12, reserved_txn = ?13, "
             "reserved_until_ms = ?14, redeemed_by_sale_id = ?15 WHERE serial = ?1";
    case kFindCoupon:
      return "SELECT " LOYALTY_COUPON_COLUMNS " FROM coupons WHERE serial = ?1";
    case kCouponsOf:
      return "SELECT " LOYALTY_COUPON_COLUMNS
             " FROM coupons WHERE customer_id = ?1 ORDER BY serial";
    case kCouponsOfCampaign:  // reads coupons_by_campaign (schema step 4)
      return "SELECT " LOYALTY_COUPON_COLUMNS
             " FROM coupons WHERE campaign_id = ?1 AND serial > ?2 ORDER BY serial LIMIT ?3";
    case kCouponsReservedBy:
      return "SELECT " LOYALTY_COUPON_COLUMNS
             " FROM coupons WHERE reserved_store = ?1 AND reserved_terminal = ?2 AND "
             "reserved_business_date = ?3 AND reserved_txn = ?4 ORDER BY serial";
    case kCouponsIssuedBySale:
      return "SELECT " LOYALTY_COUPON_COLUMNS
             " FROM coupons WHERE issued_by_sale_id = ?1 ORDER BY serial";
    case kCountIssued:
      return "SELECT count(*) FROM coupons WHERE customer_id = ?1 AND campaign_id = ?2 AND "
             "issued_at_ms >= ?3";
    case kInsertRedemption:  // ?1 is the id: NULL, so SQLite assigns it
      return "INSERT INTO redemptions(" LOYALTY_REDEMPTION_COLUMNS
             ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
    case kMarkRedemptionReturned:
      return "UPDATE redemptions SET returned_by_refund_id = ?2 WHERE id = ?1";
    case kRedemptionsOfSale:
      return "SELECT " LOYALTY_REDEMPTION_COLUMNS
             " FROM redemptions WHERE sale_id = ?1 ORDER BY id";
    case kCountRedemptions:
      return "SELECT count(*) FROM redemptions WHERE customer_id = ?1 AND campaign_id = ?2 AND "
             "created_at_ms >= ?3 AND returned_by_refund_id IS NULL";
    case kConflicts:  // reads the partial index redemptions_with_conflict
      return "SELECT " LOYALTY_REDEMPTION_COLUMNS
             " FROM redemptions WHERE conflict <> '' ORDER BY id DESC LIMIT ?1";
    case kInsertUser:
      return "INSERT INTO users(" LOYALTY_USER_COLUMNS
             ") VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(name) DO NOTHING";
    case kUpdateUser:
      return "UPDATE users SET role = ?2, stores = ?3, password_hash = ?4, created_at_ms = ?5, "
             "disabled = ?6 WHERE name = ?1";
    case kFindUser:
      return "SELECT " LOYALTY_USER_COLUMNS " FROM users WHERE name = ?1";
    case kUsers:
      return "SELECT " LOYALTY_USER_COLUMNS " FROM users ORDER BY name";
    case kCountUsers:
      return "SELECT count(*) FROM users";
    case kInsertToken:
      return "INSERT INTO tokens(hash, user_name, expires_at_ms) VALUES (?1, ?2, ?3)";
    case kFindToken:
      return "SELECT hash, user_name, expires_at_ms FROM tokens WHERE hash = ?1";
    case kAppendAudit:  // ?1 is the id: NULL, so SQLite assigns it
      return "INSERT INTO audit(" LOYALTY_AUDIT_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
    case kAudit:
      return "SELECT " LOYALTY_AUDIT_COLUMNS " FROM audit WHERE id < ?1 ORDER BY id DESC LIMIT ?2";
  }
  return "";  // unreachable: every enumerator is handled above
}

#undef LOYALTY_CUSTOMER_COLUMNS
#undef LOYALTY_SALE_COLUMNS
#undef LOYALTY_LINE_COLUMNS
#undef LOYALTY_KEY_MATCHES
#undef LOYALTY_SALES_OF
#undef LOYALTY_LINE_ROW
#undef LOYALTY_LEDGER_COLUMNS
#undef LOYALTY_CAMPAIGN_FIELDS
#undef LOYALTY_CAMPAIGN_VALUES
#undef LOYALTY_COUPON_COLUMNS
#undef LOYALTY_REDEMPTION_COLUMNS
#undef LOYALTY_USER_COLUMNS
#undef LOYALTY_AUDIT_COLUMNS

// Rows per execution of kInsertSaleLines. Inserting lines 8 at a time instead of one by one
// cut the writer's instructions per sale of 30 lines by about a sixth.
constexpr size_t kLinesPerInsert = 8;
constexpr int kColumnsPerLine = 10;

Result<Statement> prepare(SqliteConnection& conn, Sql sql) {
  return conn.statement(sql, sqlText(sql));
}

Status runSql(SqliteConnection& conn, Sql sql, std::string_view what) {
  Result<Statement> stmt = prepare(conn, sql);
  if (!stmt.ok()) {
    return stmt.error();
  }
  return stmt->run(what);
}

// ---- Statement helpers. Arguments are bound to ?1, ?2, ...; they live until the helper
// returns (even temporaries: they end with the caller's full expression), so binding them
// without a copy is safe. ----

// Runs sql, which returns no row; returns the number of rows it changed.
template <typename... Args>
Result<int64_t> execute(SqliteConnection& conn, Sql sql, std::string_view what,
                        const Args&... args) {
  Result<Statement> stmt = prepare(conn, sql);
  if (!stmt.ok()) {
    return stmt.error();
  }
  Status s = stmt->bind(what, args...);
  if (s.ok()) {
    s = stmt->run(what);
  }
  if (!s.ok()) {
    return s.error();
  }
  return stmt->changes();
}

// Runs an INSERT; returns the rowid it assigned.
template <typename... Args>
Result<int64_t> insertRow(SqliteConnection& conn, Sql sql, std::string_view what,
                          const Args&... args) {
  Result<Statement> stmt = prepare(conn, sql);
  if (!stmt.ok()) {
    return stmt.error();
  }
  Status s = stmt->bind(what, args...);
  if (s.ok()) {
    s = stmt->run(what);
  }
  if (!s.ok()) {
    return s.error();
  }
  return stmt->lastInsertRowid();
}

// read(row) returns a T, or a Result<T> when the row may hold a value it cannot decode.
template <typename T, typename Read>
Status readInto(std::vector<T>& out, const Statement& row, Read& read) {
  if constexpr (std::is_same_v<std::invoke_result_t<Read&, const Statement&>, Result<T>>) {
    Result<T> value = read(row);
    if (!value.ok()) {
      return value.error();
    }
    out.push_back(std::move(value).value());
  } else {
    out.push_back(read(row));
  }
  return base::okStatus();
}

// Every row of sql, in the order the query gives them.
template <typename T, typename Read, typename... Args>
Result<std::vector<T>> queryAll(SqliteConnection& conn, Sql sql, std::string_view what, Read read,
                                const Args&... args) {
  Result<Statement> stmt = prepare(conn, sql);
  if (!stmt.ok()) {
    return stmt.error();
  }
  if (Status s = stmt->bind(what, args...); !s.ok()) {
    return s.error();
  }
  std::vector<T> rows;
  for (;;) {
    Result<bool> row = stmt->step(what);
    if (!row.ok()) {
      return row.error();
    }
    if (!*row) {
      return rows;
    }
    if (Status s = readInto(rows, *stmt, read); !s.ok()) {
      return s.error();
    }
  }
}

// The first row of sql, or nullopt.
template <typename T, typename Read, typename... Args>
Result<std::optional<T>> queryOne(SqliteConnection& conn, Sql sql, std::string_view what, Read read,
                                  const Args&... args) {
  Result<Statement> stmt = prepare(conn, sql);
  if (!stmt.ok()) {
    return stmt.error();
  }
  if (Status s = stmt->bind(what, args...); !s.ok()) {
    return s.error();
  }
  Result<bool> row = stmt->step(what);
  if (!row.ok()) {
    return row.error();
  }
  if (!*row) {
    return std::optional<T>();
  }
  std::vector<T> one;
  if (Status s = readInto(one, *stmt, read); !s.ok()) {
    return s.error();
  }
  return std::optional<T>(std::move(one.front()));
}

// The integer in the first column of the single row of sql (e.g. a count).
template <typename... Args>
Result<int64_t> queryInt(SqliteConnection& conn, Sql sql, std::string_view what,
                         const Args&... args) {
  Result<std::optional<int64_t>> value = queryOne<int64_t>(
      conn, sql, what, [](const Statement& row) { return row.int64(0); }, args...);
  if (!value.ok()) {
    return value.error();
  }
  return value->value_or(0);
}

// A LIMIT as SQLite takes it (a size_t above INT64_MAX means "no limit").
int64_t sqlLimit(size_t limit) {
  const auto maxLimit = static_cast<size_t>(std::numeric_limits<int64_t>::max());
  return static_cast<int64_t>(std::min(limit, maxLimit));
}

// Runs read (a function of the connection returning a Result) inside one read transaction, so
// that its several queries see one snapshot.
template <typename Read>
auto inReadTransaction(SqliteConnection& conn, Read read) -> decltype(read()) {
  if (Status s = runSql(conn, kBeginRead, "begin read"); !s.ok()) {
    return s.error();
  }
  auto result = read();
  if (Status s = runSql(conn, kRollback, "end read"); !s.ok() && !conn.autocommit()) {
    (void)conn.exec("ROLLBACK", "end read");
  }
  return result;
}

// ---- Value mappings (storage-private: the numbers are part of the file format) ----

int64_t kindToInt(LedgerKind kind) {
  switch (kind) {
    case LedgerKind::kEarn:
      return 0;
    case LedgerKind::kRefund:
      return 1;
    case LedgerKind::kAdjustment:
      return 2;
    case LedgerKind::kExpiry:
      return 3;
    case LedgerKind::kRedeem:
      return 4;
    case LedgerKind::kOffset:
      return 5;
  }
  return -1;  // rejected by the table's CHECK
}

std::optional<LedgerKind> kindFromInt(int64_t value) {
  switch (value) {
    case 0:
      return LedgerKind::kEarn;
    case 1:
      return LedgerKind::kRefund;
    case 2:
      return LedgerKind::kAdjustment;
    case 3:
      return LedgerKind::kExpiry;
    case 4:
      return LedgerKind::kRedeem;
    case 5:
      return LedgerKind::kOffset;
    default:
      return std::nullopt;
  }
}

constexpr CouponState kCouponStates[] = {CouponState::kIssued, CouponState::kRedeemed,
                                         CouponState::kVoid, CouponState::kControl};

std::optional<CouponState> parseCouponState(const std::string& name) {
  for (CouponState state : kCouponStates) {
    if (name == domain::couponStateName(state)) {
      return state;
    }
  }
  return std::nullopt;
}

// A customer id of 0 means "no customer" and is stored as NULL.
std::optional<int64_t> customerOrNull(int64_t customerId) {
  return customerId == 0 ? std::nullopt : std::optional<int64_t>(customerId);
}

int64_t fingerprintToInt(uint64_t fingerprint) { return static_cast<int64_t>(fingerprint); }
uint64_t fingerprintFromInt(int64_t value) { return static_cast<uint64_t>(value); }

// Serials are assigned by SQLite from 1 up, so every stored one fits an int64.
constexpr uint64_t kMaxSerial = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

base::Error corrupt(std::string_view what, const std::string& detail) {
  return base::makeError(ErrorCode::kStorageFailure, std::string(what) + ": " + detail);
}

// ---- Row readers (column lists as in sqlText) ----

Customer customerFromRow(const Statement& row) {
  Customer customer;
  customer.id = row.int64(0);
  customer.card = row.text(1);
  customer.tier = row.text(2);
  customer.balance = Points(row.int64(3));
  customer.enrolledAtMs = row.int64(4);
  customer.debt = Points(row.int64(5));
  return customer;
}

Sale saleFromRow(const Statement& row) {
  Sale sale;
  sale.id = row.int64(0);
  sale.key = TxnKey{row.text(1), row.text(2), row.text(3), row.text(4)};
  sale.fingerprint = fingerprintFromInt(row.int64(5));
  sale.customerId = row.optionalInt64(6).value_or(0);
  sale.total = Money(row.int64(7));
  sale.pointsEarned = Points(row.int64(8));
  sale.balanceAfter = Points(row.int64(9));
  sale.createdAtMs = row.int64(10);
  sale.tier = row.text(11);
  sale.discountTotal = Money(row.int64(12));
  sale.pointsRedeemed = Points(row.int64(13));
  sale.couponBonus = Points(row.int64(14));
  return sale;
}

SaleLine lineFromRow(const Statement& row, int first) {
  SaleLine line;
  line.line = row.int64(first);
  line.sku = row.text(first + 1);
  line.quantity = row.int64(first + 2);
  line.unitPrice = Money(row.int64(first + 3));
  line.earns = row.int64(first + 4) != 0;
  line.refundedQuantity = row.int64(first + 5);
  line.discount = Money(row.int64(first + 6));
  line.pointsTendered = Points(row.int64(first + 7));
  line.pointsTenderValue = Money(row.int64(first + 8));
  return line;
}

Result<LedgerEntry> ledgerEntryFromRow(const Statement& row) {
  std::optional<LedgerKind> kind = kindFromInt(row.int64(2));
  if (!kind) {
    return corrupt("ledger", "entry " + std::to_string(row.int64(0)) + " has an unknown kind");
  }
  LedgerEntry entry;
  entry.id = row.int64(0);
  entry.customerId = row.int64(1);
  entry.kind = *kind;
  entry.points = Points(row.int64(3));
  entry.saleId = row.optionalInt64(4);
  entry.refundId = row.optionalInt64(5);
  entry.createdAtMs = row.int64(6);
  entry.note = row.text(7);
  return entry;
}

// Columns: id, then LOYALTY_CAMPAIGN_FIELDS.
Result<Campaign> campaignFromRow(const Statement& row) {
  Campaign c;
  c.id = row.int64(0);
  const std::string what = "campaign " + std::to_string(c.id);
  c.name = row.text(1);
  c.ownerStore = row.text(2);
  std::optional<CampaignStatus> status = domain::parseCampaignStatus(row.text(3));
  c.from = row.optionalText(4);
  c.to = row.optionalText(5);
  std::optional<offers::RewardKind> rewardKind = offers::parseRewardKind(row.text(6));
  std::optional<offers::TargetKind> rewardTarget = offers::parseTargetKind(row.text(7));
  c.reward.value = row.text(8);
  c.reward.amount = Money(row.int64(9));
  c.reward.percent = row.int64(10);
  c.reward.points = Points(row.int64(11));
  c.reward.buyQuantity = row.int64(12);
  c.reward.getQuantity = row.int64(13);
  c.reward.maxGroups = row.int64(14);
  c.reward.minQuantity = row.int64(15);
  c.reward.minSpend = Money(row.int64(16));
  c.tiers = splitNameList(row.text(17));
  c.stores = splitNameList(row.text(18));
  c.validityDays = row.int64(19);
  c.budgetCount = row.int64(20);
  c.budgetCost = Money(row.int64(21));
  c.capPerVisit = row.int64(22);
  c.capPerPeriod = row.int64(23);
  c.capPeriodDays = row.int64(24);
  std::optional<domain::IssuanceKind> issuance = domain::parseIssuanceKind(row.text(25));
  std::optional<offers::TargetKind> triggerTarget = offers::parseTargetKind(row.text(26));
  c.trigger.value = row.text(27);
  c.trigger.minQuantity = row.int64(28);
  c.trigger.minSpend = Money(row.int64(29));
  c.controlPercent = row.int64(30);
  c.personalizedCount = row.int64(31);
  c.discoverPercent = row.int64(32);
  c.allowBasketItems = row.int64(33) != 0;
  c.issuedCount = row.int64(34);
  c.redeemedCost = Money(row.int64(35));
  c.redeemedCount = row.int64(36);
  c.updatedAtMs = row.int64(37);
  if (!status || !rewardKind || !rewardTarget || !issuance || !triggerTarget) {
    return corrupt(what, "an unknown status, reward, target or issuance name");
  }
  c.status = *status;
  c.reward.kind = *rewardKind;
  c.reward.target = *rewardTarget;
  c.issuance = *issuance;
  c.trigger.target = *triggerTarget;
  return c;
}

// Calls f with the values of LOYALTY_CAMPAIGN_FIELDS, in order. tiers and stores are the joined
// lists (they must outlive the call).
template <typename F>
auto withCampaignFields(const Campaign& c, const std::string& tiers, const std::string& stores,
                        F&& f) {
  return f(c.name, c.ownerStore, std::string_view(domain::campaignStatusName(c.status)), c.from,
           c.to, std::string_view(offers::rewardKindName(c.reward.kind)),
           std::string_view(offers::targetKindName(c.reward.target)), c.reward.value,
           c.reward.amount.value(), c.reward.percent, c.reward.points.value(), c.reward.buyQuantity,
           c.reward.getQuantity, c.reward.maxGroups, c.reward.minQuantity,
           c.reward.minSpend.value(), tiers, stores, c.validityDays, c.budgetCount,
           c.budgetCost.value(), c.capPerVisit, c.capPerPeriod, c.capPeriodDays,
           std::string_view(domain::issuanceKindName(c.issuance)),
           std::string_view(offers::targetKindName(c.trigger.target)), c.trigger.value,
           c.trigger.minQuantity, c.trigger.minSpend.value(), c.controlPercent, c.personalizedCount,
           c.discoverPercent, c.allowBasketItems, c.issuedCount, c.redeemedCost.value(),
           c.redeemedCount, c.updatedAtMs);
}

Result<Coupon> couponFromRow(const Statement& row) {
  Coupon coupon;
  coupon.serial = static_cast<uint64_t>(row.int64(0));
  coupon.campaignId = row.int64(1);
  coupon.customerId = row.int64(2);
  coupon.code = row.text(3);
  coupon.sku = row.text(4);
  coupon.expires = row.text(5);
  std::optional<CouponState> state = parseCouponState(row.text(6));
  if (!state) {
    return corrupt("coupon " + std::to_string(coupon.serial), "an unknown state");
  }
  coupon.state = *state;
  coupon.issuedAtMs = row.int64(7);
  coupon.issuedBySaleId = row.optionalInt64(8);
  if (!row.isNull(12)) {
    coupon.reservedBy = TxnKey{row.text(9), row.text(10), row.text(11), row.text(12)};
  }
  coupon.reservedUntilMs = row.int64(13);
  coupon.redeemedBySaleId = row.optionalInt64(14);
  return coupon;
}

// Calls f with the values of LOYALTY_COUPON_COLUMNS, in order (the serial as serial).
template <typename F>
auto withCouponColumns(const Coupon& c, std::optional<int64_t> serial, F&& f) {
  const std::optional<TxnKey>& key = c.reservedBy;
  const std::optional<std::string> store =
      key ? std::optional<std::string>(key->store) : std::nullopt;
  const std::optional<std::string> terminal =
      key ? std::optional<std::string>(key->terminal) : std::nullopt;
  const std::optional<std::string> date =
      key ? std::optional<std::string>(key->businessDate) : std::nullopt;
  const std::optional<std::string> txn = key ? std::optional<std::string>(key->txn) : std::nullopt;
  return f(serial, c.campaignId, c.customerId, c.code, c.sku, c.expires,
           std::string_view(domain::couponStateName(c.state)), c.issuedAtMs, c.issuedBySaleId,
           store, terminal, date, txn, c.reservedUntilMs, c.redeemedBySaleId);
}

Redemption redemptionFromRow(const Statement& row) {
  Redemption r;
  r.id = row.int64(0);
  r.serial = static_cast<uint64_t>(row.int64(1));
  r.campaignId = row.int64(2);
  r.customerId = row.int64(3);
  r.saleId = row.int64(4);
  r.discount = Money(row.int64(5));
  r.bonusPoints = Points(row.int64(6));
  r.offline = row.int64(7) != 0;
  r.conflict = row.text(8);
  r.createdAtMs = row.int64(9);
  r.returnedByRefundId = row.optionalInt64(10);
  return r;
}

Result<User> userFromRow(const Statement& row) {
  User user;
  user.name = row.text(0);
  std::optional<domain::Role> role = domain::parseRole(row.text(1));
  if (!role) {
    return corrupt("user " + user.name, "an unknown role");
  }
  user.role = *role;
  user.stores = splitNameList(row.text(2));
  user.passwordHash = row.text(3);
  user.createdAtMs = row.int64(4);
  user.disabled = row.int64(5) != 0;
  return user;
}

Token tokenFromRow(const Statement& row) { return Token{row.text(0), row.text(1), row.int64(2)}; }

AuditEntry auditFromRow(const Statement& row) {
  AuditEntry entry;
  entry.id = row.int64(0);
  entry.atMs = row.int64(1);
  entry.user = row.text(2);
  entry.action = row.text(3);
  entry.target = row.text(4);
  entry.outcome = row.text(5);
  entry.before = row.text(6);
  entry.after = row.text(7);
  return entry;
}

// ---- Queries shared by the writer (write connection) and the reads (a read connection) ----

Result<std::optional<Customer>> queryCustomer(SqliteConnection& conn, Sql sql,
                                              const std::string& card) {
  return queryOne<Customer>(conn, sql, "find customer", customerFromRow, card);
}

Result<std::optional<Customer>> queryCustomer(SqliteConnection& conn, Sql sql, int64_t id) {
  return queryOne<Customer>(conn, sql, "find customer", customerFromRow, id);
}

Result<std::optional<std::string>> queryHabitProfile(SqliteConnection& conn, int64_t customerId) {
  return queryOne<std::string>(
      conn, kFindHabitProfile, "find habit profile",
      [](const Statement& row) { return row.blob(0); }, customerId);
}

Result<std::vector<LedgerEntry>> queryLedgerOf(SqliteConnection& conn, int64_t customerId) {
  return queryAll<LedgerEntry>(conn, kLedgerOf, "ledger of customer", ledgerEntryFromRow,
                               customerId);
}

Result<std::optional<std::string>> querySetting(SqliteConnection& conn, const std::string& name) {
  return queryOne<std::string>(
      conn, kFindSetting, "find setting", [](const Statement& row) { return row.text(0); }, name);
}

Result<std::optional<Campaign>> queryCampaign(SqliteConnection& conn, int64_t campaignId) {
  return queryOne<Campaign>(conn, kFindCampaign, "find campaign", campaignFromRow, campaignId);
}

Result<std::vector<Campaign>> queryCampaigns(SqliteConnection& conn) {
  return queryAll<Campaign>(conn, kCampaigns, "list campaigns", campaignFromRow);
}

Result<std::optional<Coupon>> queryCoupon(SqliteConnection& conn, uint64_t serial) {
  if (serial == 0 || serial > kMaxSerial) {
    return std::optional<Coupon>();  // never assigned
  }
  return queryOne<Coupon>(conn, kFindCoupon, "find coupon", couponFromRow,
                          static_cast<int64_t>(serial));
}

Result<std::vector<Coupon>> queryCouponsOf(SqliteConnection& conn, int64_t customerId) {
  return queryAll<Coupon>(conn, kCouponsOf, "coupons of customer", couponFromRow, customerId);
}

Result<std::optional<User>> queryUser(SqliteConnection& conn, const std::string& name) {
  return queryOne<User>(conn, kFindUser, "find user", userFromRow, name);
}

// ---- Sales with their lines and tenders ----

// Adds to sales (found by id) the lines and tenders that detailSql / tenderSql return with args
// bound; rows of sales not in the list are skipped.
template <typename... Args>
Status addLinesAndTenders(SqliteConnection& conn, std::vector<Sale>& sales, Sql lineSql,
                          Sql tenderSql, std::string_view what, const Args&... args) {
  std::unordered_map<int64_t, size_t> indexById;
  for (size_t i = 0; i < sales.size(); ++i) {
    indexById.emplace(sales[i].id, i);
  }
  auto saleOf = [&](int64_t id) -> Sale* {
    auto it = indexById.find(id);
    return it == indexById.end() ? nullptr : &sales[it->second];
  };
  {
    Result<Statement> stmt = prepare(conn, lineSql);
    if (!stmt.ok()) {
      return stmt.error();
    }
    if (Status s = stmt->bind(what, args...); !s.ok()) {
      return s;
    }
    for (;;) {
      Result<bool> row = stmt->step(what);
      if (!row.ok()) {
        return row.error();
      }
      if (!*row) {
        break;
      }
      if (Sale* sale = saleOf(stmt->int64(0)); sale != nullptr) {
        sale->lines.push_back(lineFromRow(*stmt, 1));
      }
    }
  }
  Result<Statement> stmt = prepare(conn, tenderSql);
  if (!stmt.ok()) {
    return stmt.error();
  }
  if (Status s = stmt->bind(what, args...); !s.ok()) {
    return s;
  }
  for (;;) {
    Result<bool> row = stmt->step(what);
    if (!row.ok()) {
      return row.error();
    }
    if (!*row) {
      return base::okStatus();
    }
    if (Sale* sale = saleOf(stmt->int64(0)); sale != nullptr) {
      sale->tenders.push_back(Tender{stmt->text(1), Money(stmt->int64(2))});
    }
  }
}

// Requires: inside a read transaction (the three queries must see one snapshot).
Result<std::vector<Sale>> querySalesOf(SqliteConnection& conn, int64_t customerId, int64_t limit) {
  constexpr std::string_view kWhat = "sales of customer";
  Result<std::vector<Sale>> sales =
      queryAll<Sale>(conn, kSalesOf, kWhat, saleFromRow, customerId, limit);
  if (!sales.ok() || sales->empty()) {
    return sales;
  }
  if (Status s = addLinesAndTenders(conn, *sales, kLinesOfSalesOf, kTendersOfSalesOf, kWhat,
                                    customerId, limit);
      !s.ok()) {
    return s.error();
  }
  return sales;
}

// Requires: inside a read transaction.
Result<std::vector<Sale>> querySalesSince(SqliteConnection& conn, int64_t sinceMs,
                                          int64_t afterSaleId, int64_t limit) {
  constexpr std::string_view kWhat = "sales since";
  Result<std::vector<Sale>> sales =
      queryAll<Sale>(conn, kSalesSince, kWhat, saleFromRow, sinceMs, afterSaleId, limit);
  if (!sales.ok() || sales->empty()) {
    return sales;
  }
  // Sales come by id: read the lines of the id range (a range of the lines' primary key).
  if (Status s = addLinesAndTenders(conn, *sales, kLinesOfSaleRange, kTendersOfSaleRange, kWhat,
                                    sales->front().id, sales->back().id);
      !s.ok()) {
    return s.error();
  }
  return sales;
}

Status checkLists(std::string_view what, const std::vector<std::string>& a,
                  const std::vector<std::string>& b) {
  if (Status s = checkNameList(what, a); !s.ok()) {
    return s;
  }
  return checkNameList(what, b);
}

// An error for an update that matched no row.
base::Error noRow(ErrorCode code, std::string_view what, const std::string& which) {
  return base::makeError(code, std::string(what) + ": no " + which);
}

// ---- SqliteWriter: the StoreWriter bound to the write connection inside a batch ----

class SqliteWriter final : public domain::StoreWriter {
 public:
  explicit SqliteWriter(SqliteConnection& conn) : conn_(conn) {}

  Result<std::optional<Customer>> findCustomer(const std::string& card) override {
    return queryCustomer(conn_, kFindCustomer, card);
  }

  Result<std::optional<Customer>> findCustomerById(int64_t customerId) override {
    return queryCustomer(conn_, kFindCustomerById, customerId);
  }

  Result<Customer> insertCustomer(const std::string& card, int64_t nowMs) override {
    Result<int64_t> id = insertRow(conn_, kInsertCustomer, "insert customer", card, nowMs);
    if (!id.ok()) {
      return id.error();
    }
    Customer customer;
    customer.id = *id;
    customer.card = card;
    customer.enrolledAtMs = nowMs;
    return customer;
  }

  Result<std::optional<Sale>> findSale(const TxnKey& key) override {
    constexpr std::string_view kWhat = "find sale";
    Result<std::optional<Sale>> sale = queryOne<Sale>(
        conn_, kFindSale, kWhat, saleFromRow, key.store, key.terminal, key.businessDate, key.txn);
    if (!sale.ok() || !sale->has_value()) {
      return sale;
    }
    Sale& found = **sale;
    Result<std::vector<SaleLine>> lines = queryAll<SaleLine>(
        conn_, kLinesOfSale, kWhat, [](const Statement& row) { return lineFromRow(row, 0); },
        found.id);
    if (!lines.ok()) {
      return lines.error();
    }
    found.lines = std::move(lines).value();
    Result<std::vector<Tender>> tenders = queryAll<Tender>(
        conn_, kTendersOfSale, kWhat,
        [](const Statement& row) {
          return Tender{row.text(0), Money(row.int64(1))};
        },
        found.id);
    if (!tenders.ok()) {
      return tenders.error();
    }
    found.tenders = std::move(tenders).value();
    return sale;
  }

  Result<std::optional<Refund>> findRefund(const TxnKey& key) override {
    constexpr std::string_view kWhat = "find refund";
    auto read = [&key](const Statement& row) {
      Refund refund;
      refund.id = row.int64(0);
      refund.key = key;
      refund.fingerprint = fingerprintFromInt(row.int64(1));
      refund.saleId = row.int64(2);
      refund.customerId = row.optionalInt64(3).value_or(0);
      refund.amount = Money(row.int64(4));
      refund.pointsReversed = Points(row.int64(5));
      refund.balanceAfter = Points(row.int64(6));
      refund.createdAtMs = row.int64(7);
      refund.pointsReturned = Points(row.int64(8));
      refund.debtAdded = Points(row.int64(9));
      refund.couponsReturned = row.int64(10);
      return refund;
    };
    Result<std::optional<Refund>> refund = queryOne<Refund>(
        conn_, kFindRefund, kWhat, read, key.store, key.terminal, key.businessDate, key.txn);
    if (!refund.ok() || !refund->has_value()) {
      return refund;
    }
    Result<std::vector<RefundedLine>> lines = queryAll<RefundedLine>(
        conn_, kLinesOfRefund, kWhat,
        [](const Statement& row) {
          return RefundedLine{row.int64(0), row.int64(1)};
        },
        (*refund)->id);
    if (!lines.ok()) {
      return lines.error();
    }
    (*refund)->lines = std::move(lines).value();
    return refund;
  }

  Result<int64_t> insertSale(const Sale& sale) override {
    return atomically<int64_t>([&] { return insertSaleRows(sale); });
  }

  Result<int64_t> insertRefund(const Refund& refund) override {
    return atomically<int64_t>([&] { return insertRefundRows(refund); });
  }

  Result<Points> appendLedger(const LedgerEntry& entry) override {
    return atomically<Points>([&] { return appendLedgerRows(entry); });
  }

  Status upsertProduct(const Product& product) override {
    Result<int64_t> changed = execute(conn_, kUpsertProduct, "upsert product", product.sku,
                                      product.name, product.categoryPath, product.brand);
    return changed.ok() ? base::okStatus() : Status(changed.error());
  }

  Result<std::optional<std::string>> findHabitProfile(int64_t customerId) override {
    return queryHabitProfile(conn_, customerId);
  }

  Status saveHabitProfile(int64_t customerId, std::string_view profile,
                          int64_t updatedAtMs) override {
    Result<int64_t> changed = execute(conn_, kSaveHabitProfile, "save habit profile", customerId,
                                      Blob{profile}, updatedAtMs);
    return changed.ok() ? base::okStatus() : Status(changed.error());
  }

  // ---- Customers ----

  Status updateCustomer(const Customer& customer) override {
    constexpr std::string_view kWhat = "update customer";
    Result<int64_t> changed =
        execute(conn_, kUpdateCustomer, kWhat, customer.id, customer.tier, customer.debt.value());
    if (!changed.ok()) {
      return changed.error();
    }
    if (*changed == 0) {
      return noRow(ErrorCode::kUnknownCustomer, kWhat, "customer " + std::to_string(customer.id));
    }
    return base::okStatus();
  }

  Result<Money> rollingSpend(int64_t customerId, int64_t sinceMs) override {
    constexpr std::string_view kWhat = "rolling spend";
    // SQLite's sum() of integers fails on overflow (kStorageFailure, like any SQL error).
    Result<std::optional<Money>> spend = queryOne<Money>(
        conn_, kRollingSpend, kWhat,
        [](const Statement& row) -> Result<Money> {
          int64_t value = 0;
          if (__builtin_sub_overflow(row.int64(0), row.int64(1), &value)) {
            return corrupt("rolling spend", "out of range");
          }
          return Money(value);
        },
        customerId, sinceMs);
    if (!spend.ok()) {
      return spend.error();
    }
    return spend->value_or(Money());
  }

  Result<std::vector<LedgerEntry>> ledgerOf(int64_t customerId) override {
    return queryLedgerOf(conn_, customerId);
  }

  Result<std::vector<int64_t>> customersWithPositiveBalance(int64_t afterId,
                                                            size_t limit) override {
    return queryAll<int64_t>(
        conn_, kPositiveBalances, "customers with points",
        [](const Statement& row) { return row.int64(0); }, afterId, sqlLimit(limit));
  }

  // ---- Settings ----

  Result<std::optional<std::string>> findSetting(const std::string& name) override {
    return querySetting(conn_, name);
  }

  Status saveSetting(const std::string& name, std::string_view value,
                     int64_t updatedAtMs) override {
    Result<int64_t> changed =
        execute(conn_, kSaveSetting, "save setting", name, value, updatedAtMs);
    return changed.ok() ? base::okStatus() : Status(changed.error());
  }

  // ---- Campaigns ----

  Result<int64_t> insertCampaign(const Campaign& campaign) override {
    constexpr std::string_view kWhat = "insert campaign";
    if (Status s = checkLists(kWhat, campaign.tiers, campaign.stores); !s.ok()) {
      return s.error();
    }
    const std::string tiers = joinNameList(campaign.tiers);
    const std::string stores = joinNameList(campaign.stores);
    return withCampaignFields(campaign, tiers, stores, [&](const auto&... fields) {
      return insertRow(conn_, kInsertCampaign, kWhat, std::nullopt, fields...);
    });
  }

  Status updateCampaign(const Campaign& campaign) override {
    constexpr std::string_view kWhat = "update campaign";
    if (Status s = checkLists(kWhat, campaign.tiers, campaign.stores); !s.ok()) {
      return s;
    }
    const std::string tiers = joinNameList(campaign.tiers);
    const std::string stores = joinNameList(campaign.stores);
    Result<int64_t> changed =
        withCampaignFields(campaign, tiers, stores, [&](const auto&... fields) {
          return execute(conn_, kUpdateCampaign, kWhat, campaign.id, fields...);
        });
    if (!changed.ok()) {
      return changed.error();
    }
    if (*changed == 0) {
      return noRow(ErrorCode::kUnknownCampaign, kWhat, "campaign " + std::to_string(campaign.id));
    }
    return base::okStatus();
  }

  Result<std::optional<Campaign>> findCampaign(int64_t campaignId) override {
    return queryCampaign(conn_, campaignId);
  }

  Result<std::vector<Campaign>> campaigns() override { return queryCampaigns(conn_); }

  // ---- Coupons ----

  Result<uint64_t> insertCoupon(const Coupon& coupon) override {
    Result<int64_t> serial = withCouponColumns(coupon, std::nullopt, [&](const auto&... values) {
      return insertRow(conn_, kInsertCoupon, "insert coupon", values...);
    });
    if (!serial.ok()) {
      return serial.error();
    }
    return static_cast<uint64_t>(*serial);
  }

  Status updateCoupon(const Coupon& coupon) override {
    constexpr std::string_view kWhat = "update coupon";
    const std::string which = "coupon " + std::to_string(coupon.serial);
    if (coupon.serial == 0 || coupon.serial > kMaxSerial) {
      return noRow(ErrorCode::kStorageFailure, kWhat, which);
    }
    // kUpdateCoupon takes the placeholders of LOYALTY_COUPON_COLUMNS and ignores the values
    // that an update keeps (campaign, customer, sku, expiry, issue).
    Result<int64_t> changed = withCouponColumns(
        coupon, static_cast<int64_t>(coupon.serial),
        [&](const auto&... values) { return execute(conn_, kUpdateCoupon, kWhat, values...); });
    if (!changed.ok()) {
      return changed.error();
    }
    if (*changed == 0) {
      return noRow(ErrorCode::kStorageFailure, kWhat, which);
    }
    return base::okStatus();
  }

  Result<std::optional<Coupon>> findCoupon(uint64_t serial) override {
    return queryCoupon(conn_, serial);
  }

  Result<std::vector<Coupon>> couponsOf(int64_t customerId) override {
    return queryCouponsOf(conn_, customerId);
  }

  Result<std::vector<Coupon>> couponsReservedBy(const TxnKey& key) override {
    return queryAll<Coupon>(conn_, kCouponsReservedBy, "coupons reserved by", couponFromRow,
                            key.store, key.terminal, key.businessDate, key.txn);
  }

  Result<std::vector<Coupon>> couponsIssuedBySale(int64_t saleId) override {
    return queryAll<Coupon>(conn_, kCouponsIssuedBySale, "coupons issued by sale", couponFromRow,
                            saleId);
  }

  Result<int64_t> countIssued(int64_t customerId, int64_t campaignId, int64_t sinceMs) override {
    return queryInt(conn_, kCountIssued, "count issued coupons", customerId, campaignId, sinceMs);
  }

  // ---- Redemptions ----

  Result<int64_t> insertRedemption(const Redemption& r) override {
    if (r.serial == 0 || r.serial > kMaxSerial) {
      return base::makeError(ErrorCode::kStorageFailure,
                             "insert redemption: no coupon " + std::to_string(r.serial));
    }
    return insertRow(conn_, kInsertRedemption, "insert redemption", std::nullopt,
                     static_cast<int64_t>(r.serial), r.campaignId, r.customerId, r.saleId,
                     r.discount.value(), r.bonusPoints.value(), r.offline, r.conflict,
                     r.createdAtMs, r.returnedByRefundId);
  }

  Status markRedemptionReturned(int64_t redemptionId, int64_t refundId) override {
    constexpr std::string_view kWhat = "mark redemption returned";
    Result<int64_t> changed =
        execute(conn_, kMarkRedemptionReturned, kWhat, redemptionId, refundId);
    if (!changed.ok()) {
      return changed.error();
    }
    if (*changed == 0) {
      return noRow(ErrorCode::kStorageFailure, kWhat, "redemption " + std::to_string(redemptionId));
    }
    return base::okStatus();
  }

  Result<std::vector<Redemption>> redemptionsOfSale(int64_t saleId) override {
    return queryAll<Redemption>(conn_, kRedemptionsOfSale, "redemptions of sale", redemptionFromRow,
                                saleId);
  }

  Result<int64_t> countRedemptions(int64_t customerId, int64_t campaignId,
                                   int64_t sinceMs) override {
    return queryInt(conn_, kCountRedemptions, "count redemptions", customerId, campaignId, sinceMs);
  }

  // ---- Users, tokens, audit ----

  Status insertUser(const User& user) override {
    constexpr std::string_view kWhat = "insert user";
    if (Status s = checkNameList(kWhat, user.stores); !s.ok()) {
      return s;
    }
    Result<int64_t> changed =
        execute(conn_, kInsertUser, kWhat, user.name, std::string_view(domain::roleName(user.role)),
                joinNameList(user.stores), user.passwordHash, user.createdAtMs, user.disabled);
    if (!changed.ok()) {
      return changed.error();
    }
    if (*changed == 0) {
      return base::makeError(ErrorCode::kInvalidState,
                             "insert user: a user named " + user.name + " exists");
    }
    return base::okStatus();
  }

  Status updateUser(const User& user) override {
    constexpr std::string_view kWhat = "update user";
    if (Status s = checkNameList(kWhat, user.stores); !s.ok()) {
      return s;
    }
    Result<int64_t> changed =
        execute(conn_, kUpdateUser, kWhat, user.name, std::string_view(domain::roleName(user.role)),
                joinNameList(user.stores), user.passwordHash, user.createdAtMs, user.disabled);
    if (!changed.ok()) {
      return changed.error();
    }
    if (*changed == 0) {
      return noRow(ErrorCode::kStorageFailure, kWhat, "user " + user.name);
    }
    return base::okStatus();
  }

  Result<std::optional<User>> findUser(const std::string& name) override {
    return queryUser(conn_, name);
  }

  Result<int64_t> countUsers() override { return queryInt(conn_, kCountUsers, "count users"); }

  Status insertToken(const Token& token) override {
    Result<int64_t> id =
        insertRow(conn_, kInsertToken, "insert token", token.hash, token.user, token.expiresAtMs);
    return id.ok() ? base::okStatus() : Status(id.error());
  }

  Result<int64_t> appendAudit(const AuditEntry& e) override {
    return insertRow(conn_, kAppendAudit, "append audit", std::nullopt, e.atMs, e.user, e.action,
                     e.target, e.outcome, e.before, e.after);
  }

 private:
  // Runs body, a method of several statements, so that it changes everything or nothing: a
  // failed call leaves no partial rows even if the fn goes on after the error.
  template <typename T, typename Body>
  Result<T> atomically(Body&& body) {
    if (Status s = runSql(conn_, kOpSavepoint, "savepoint"); !s.ok()) {
      return s.error();
    }
    Result<T> result = body();
    if (result.ok()) {
      Status released = runSql(conn_, kOpRelease, "release savepoint");
      if (released.ok()) {
        return result;
      }
      result = released.error();
    }
    // Best effort: if even this fails, the batch's own checks fail the fn's transaction.
    if (runSql(conn_, kOpRollbackTo, "roll back savepoint").ok()) {
      (void)runSql(conn_, kOpRelease, "release savepoint");
    }
    return result;
  }

  Result<int64_t> insertSaleRows(const Sale& sale) {
    Result<int64_t> saleId = insertRow(
        conn_, kInsertSale, "insert sale", sale.key.store, sale.key.terminal, sale.key.businessDate,
        sale.key.txn, fingerprintToInt(sale.fingerprint), customerOrNull(sale.customerId),
        sale.total.value(), sale.pointsEarned.value(), sale.balanceAfter.value(), sale.createdAtMs,
        sale.tier, sale.discountTotal.value(), sale.pointsRedeemed.value(),
        sale.couponBonus.value());
    if (!saleId.ok()) {
      return saleId;
    }
    if (Status s = insertSaleLines(*saleId, sale.lines); !s.ok()) {
      return s.error();
    }
    constexpr std::string_view kWhatTender = "insert sale tender";
    Result<Statement> stmt = prepare(conn_, kInsertTender);
    if (!stmt.ok()) {
      return stmt.error();
    }
    int64_t seq = 0;
    for (const Tender& tender : sale.tenders) {
      Status s = stmt->bind(kWhatTender, *saleId, seq++, tender.type, tender.amount.value());
      if (s.ok()) {
        s = stmt->run(kWhatTender);
      }
      if (!s.ok()) {
        return s.error();
      }
      stmt->reset();
    }
    return saleId;
  }

  // Binds line as the row starting at placeholder first of a sale_lines insert.
  static Status bindLine(Statement& stmt, int first, std::string_view what, int64_t saleId,
                         const SaleLine& line) {
    return stmt.bindFrom(first, what, saleId, line.line, line.sku, line.quantity,
                         line.unitPrice.value(), line.earns, line.refundedQuantity,
                         line.discount.value(), line.pointsTendered.value(),
                         line.pointsTenderValue.value());
  }

  // Inserts lines kLinesPerInsert at a time, then the remainder one by one.
  Status insertSaleLines(int64_t saleId, const std::vector<SaleLine>& lines) {
    constexpr std::string_view kWhat = "insert sale lines";
    size_t next = 0;
    if (lines.size() >= kLinesPerInsert) {
      Result<Statement> stmt = prepare(conn_, kInsertSaleLines);
      if (!stmt.ok()) {
        return stmt.error();
      }
      for (; next + kLinesPerInsert <= lines.size(); next += kLinesPerInsert) {
        Status s = base::okStatus();
        for (size_t row = 0; row < kLinesPerInsert && s.ok(); ++row) {
          s = bindLine(*stmt, 1 + static_cast<int>(row) * kColumnsPerLine, kWhat, saleId,
                       lines[next + row]);
        }
        if (s.ok()) {
          s = stmt->run(kWhat);
        }
        if (!s.ok()) {
          return s;
        }
        stmt->reset();
      }
    }
    if (next == lines.size()) {
      return base::okStatus();
    }
    Result<Statement> stmt = prepare(conn_, kInsertSaleLine);
    if (!stmt.ok()) {
      return stmt.error();
    }
    for (; next < lines.size(); ++next) {
      Status s = bindLine(*stmt, 1, kWhat, saleId, lines[next]);
      if (s.ok()) {
        s = stmt->run(kWhat);
      }
      if (!s.ok()) {
        return s;
      }
      stmt->reset();
    }
    return base::okStatus();
  }

  Result<int64_t> insertRefundRows(const Refund& refund) {
    Result<int64_t> refundId =
        insertRow(conn_, kInsertRefund, "insert refund", refund.key.store, refund.key.terminal,
                  refund.key.businessDate, refund.key.txn, fingerprintToInt(refund.fingerprint),
                  refund.saleId, customerOrNull(refund.customerId), refund.amount.value(),
                  refund.pointsReversed.value(), refund.balanceAfter.value(), refund.createdAtMs,
                  refund.pointsReturned.value(), refund.debtAdded.value(), refund.couponsReturned);
    if (!refundId.ok()) {
      return refundId;
    }
    constexpr std::string_view kWhatLine = "insert refund line";
    constexpr std::string_view kWhatUpdate = "update refunded quantity";
    Result<Statement> insertLine = prepare(conn_, kInsertRefundLine);
    if (!insertLine.ok()) {
      return insertLine.error();
    }
    Result<Statement> addRefunded = prepare(conn_, kAddRefunded);
    if (!addRefunded.ok()) {
      return addRefunded.error();
    }
    int64_t seq = 0;
    for (const RefundedLine& line : refund.lines) {
      Status s = insertLine->bind(kWhatLine, *refundId, seq++, line.line, line.quantity);
      if (s.ok()) {
        s = insertLine->run(kWhatLine);
      }
      if (!s.ok()) {
        return s.error();
      }
      insertLine->reset();
      s = addRefunded->bind(kWhatUpdate, refund.saleId, line.line, line.quantity);
      if (s.ok()) {
        s = addRefunded->run(kWhatUpdate);
      }
      if (!s.ok()) {
        return s.error();
      }
      if (addRefunded->changes() != 1) {
        return base::makeError(ErrorCode::kUnknownLine,
                               "refund of line " + std::to_string(line.line) + ": sale " +
                                   std::to_string(refund.saleId) + " has no such line");
      }
      addRefunded->reset();
    }
    return refundId;
  }

  Result<Points> appendLedgerRows(const LedgerEntry& entry) {
    constexpr std::string_view kWhatBalance = "update balance";
    Points balance;
    {
      Result<Statement> stmt = prepare(conn_, kAddToBalance);
      if (!stmt.ok()) {
        return stmt.error();
      }
      if (Status s = stmt->bind(kWhatBalance, entry.customerId, entry.points.value()); !s.ok()) {
        return s.error();
      }
      Result<bool> row = stmt->step(kWhatBalance);
      if (!row.ok()) {
        return row.error();
      }
      if (!*row) {
        return base::makeError(ErrorCode::kUnknownCustomer,
                               "append ledger: no customer " + std::to_string(entry.customerId));
      }
      balance = Points(stmt->int64(0));
      if (Result<bool> done = stmt->step(kWhatBalance); !done.ok()) {
        return done.error();
      }
    }
    Result<int64_t> id = insertRow(conn_, kInsertLedger, "append ledger", entry.customerId,
                                   kindToInt(entry.kind), entry.points.value(), entry.saleId,
                                   entry.refundId, entry.createdAtMs, entry.note);
    if (!id.ok()) {
      return id.error();
    }
    return balance;
  }

  SqliteConnection& conn_;
};

Status badOption(const std::string& message) {
  return base::makeError(ErrorCode::kValueOutOfRange, "SqliteOptions: " + message);
}

Status checkOptions(const SqliteOptions& options) {
  if (options.path.empty()) {
    return badOption("path is empty");
  }
  if (options.maxBatch < 1) {
    return badOption("maxBatch must be at least 1");
  }
  if (options.readConnections < 1) {
    return badOption("readConnections must be at least 1");
  }
  if (options.busyTimeoutMs < 0) {
    return badOption("busyTimeoutMs must not be negative");
  }
  return base::okStatus();
}

Status checkDirectory(const std::string& path) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) {
    return base::okStatus();  // the working directory
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return base::makeError(ErrorCode::kStorageFailure, "open database " + path + ": directory " +
                                                           dir.string() + " does not exist");
  }
  return base::okStatus();
}

}  // namespace

std::vector<std::string> sqliteCheckoutStatementsForTest() {
  std::vector<std::string> statements;
  for (Sql sql : {kFindCustomer,        kFindCustomerById, kUpdateCustomer,
                  kRollingSpend,        kFindSale,         kLinesOfSale,
                  kTendersOfSale,       kFindRefund,       kLinesOfRefund,
                  kAddRefunded,         kAddToBalance,     kFindHabitProfile,
                  kFindSetting,         kFindCampaign,     kFindCoupon,
                  kUpdateCoupon,        kCouponsOf,        kCouponsReservedBy,
                  kCouponsIssuedBySale, kCountIssued,      kMarkRedemptionReturned,
                  kRedemptionsOfSale,   kCountRedemptions}) {
    statements.emplace_back(sqlText(sql));
  }
  return statements;
}

std::vector<std::string> sqlitePagingStatementsForTest() {
  std::vector<std::string> statements;
  for (Sql sql : {kPositiveBalances, kSalesSince, kAudit, kHabitProfiles, kCouponsOfCampaign}) {
    statements.emplace_back(sqlText(sql));
  }
  return statements;
}

// ---- Write queue ----

// One write() call waiting for the writer. Lives on the caller's stack; guarded by mu_.
struct SqliteStore::Job {
  explicit Job(const WriteFn* f) : fn(f) {}
  const WriteFn* fn;
  Status result;
  bool done = false;
  std::condition_variable cv;
};

// A read connection taken from the pool for the lifetime of the lease.
class SqliteStore::ReadLease {
 public:
  ReadLease(SqliteStore& store, SqliteConnection* conn) : store_(store), conn_(conn) {}
  ~ReadLease() {
    {
      std::lock_guard<std::mutex> lock(store_.readMu_);
      store_.freeReaders_.push_back(conn_);
    }
    store_.readCv_.notify_one();
  }
  ReadLease(const ReadLease&) = delete;
  ReadLease& operator=(const ReadLease&) = delete;

  SqliteConnection& conn() { return *conn_; }

 private:
  SqliteStore& store_;
  SqliteConnection* conn_;
};

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const SqliteOptions& options) {
  if (Status s = checkOptions(options); !s.ok()) {
    return s.error();
  }
  if (Status s = checkDirectory(options.path); !s.ok()) {
    return s.error();
  }
  Result<std::unique_ptr<SqliteConnection>> opened = SqliteConnection::open(
      options.path, SqliteConnection::Mode::kReadWrite, options.busyTimeoutMs);
  if (!opened.ok()) {
    return opened.error();
  }
  std::unique_ptr<SqliteConnection> writeConn = std::move(opened).value();

  Result<std::string> mode = writeConn->queryText("PRAGMA journal_mode = WAL", "enable WAL");
  if (!mode.ok()) {
    return mode.error();
  }
  if (*mode != "wal") {
    return base::makeError(ErrorCode::kStorageFailure,
                           "enable WAL: " + options.path + " stays in journal mode " + *mode);
  }
  // COMMIT does not wait for the disk; the sync thread flushes the WAL before answering (see
  // the header). NORMAL still syncs at each checkpoint, so the database file stays consistent.
  if (Status s = writeConn->exec("PRAGMA synchronous = NORMAL", "set synchronous"); !s.ok()) {
    return s.error();
  }
  // The writer touches the indexes of every table a sale goes to; SQLite's default page cache
  // (2 MB) holds few of them once the history is large (docs/benchmarks.md, "Scale").
  if (Status s = writeConn->exec("PRAGMA cache_size = -65536", "set cache_size"); !s.ok()) {
    return s.error();
  }
  if (Status s = writeConn->exec("PRAGMA foreign_keys = ON", "enable foreign keys"); !s.ok()) {
    return s.error();
  }
  // The per-fn savepoints journal the pages they change; keep that journal in memory (with the
  // default, a temporary file, it doubled the writer's write() system calls).
  if (Status s = writeConn->exec("PRAGMA temp_store = MEMORY", "set temp_store"); !s.ok()) {
    return s.error();
  }
  if (Status s = migrateSqliteSchema(writeConn->handle()); !s.ok()) {
    return s.error();
  }

  Result<std::unique_ptr<SqliteConnection>> checkpointConn = SqliteConnection::open(
      options.path, SqliteConnection::Mode::kReadWrite, options.busyTimeoutMs);
  if (!checkpointConn.ok()) {
    return checkpointConn.error();
  }
  if (Status s = checkpointConn.value()->exec("PRAGMA synchronous = NORMAL", "set synchronous");
      !s.ok()) {
    return s.error();
  }

  std::vector<std::unique_ptr<SqliteConnection>> readConns;
  for (int i = 0; i < options.readConnections; ++i) {
    Result<std::unique_ptr<SqliteConnection>> reader = SqliteConnection::open(
        options.path, SqliteConnection::Mode::kReadOnly, options.busyTimeoutMs);
    if (!reader.ok()) {
      return reader.error();
    }
    readConns.push_back(std::move(reader).value());
  }

  // The WAL exists since the migration's transaction; fdatasync through any descriptor of the
  // file flushes what the writer connection wrote to it. SQLite keeps the file (same inode)
  // while a connection is open, so this descriptor stays valid for the store's life.
  int walFd = -1;
  if (options.synchronousFull) {
    const char* wal = sqlite3_filename_wal(sqlite3_db_filename(writeConn->handle(), "main"));
    walFd = wal != nullptr ? ::open(wal, O_RDONLY | O_CLOEXEC) : -1;
    if (walFd < 0) {
      return base::makeError(ErrorCode::kStorageFailure,
                             "open the WAL of " + options.path + " to flush it: " +
                                 std::strerror(errno));
    }
  }

  try {
    return std::unique_ptr<SqliteStore>(
        new SqliteStore(options, std::move(writeConn), std::move(checkpointConn).value(),
                        std::move(readConns), walFd));
  } catch (const std::system_error& e) {
    if (walFd >= 0) {
      ::close(walFd);
    }
    return base::makeError(ErrorCode::kInternal,
                           std::string("start the SQLite writer threads: ") + e.what());
  }
}

SqliteStore::SqliteStore(const SqliteOptions& options, std::unique_ptr<SqliteConnection> writeConn,
                         std::unique_ptr<SqliteConnection> checkpointConn,
                         std::vector<std::unique_ptr<SqliteConnection>> readConns, int walFd)
    : maxBatch_(options.maxBatch),
      writeConn_(std::move(writeConn)),
      walFd_(walFd),
      checkpointConn_(std::move(checkpointConn)),
      readConns_(std::move(readConns)) {
  for (const std::unique_ptr<SqliteConnection>& conn : readConns_) {
    freeReaders_.push_back(conn.get());
  }
  // Replaces SQLite's automatic checkpoint (which would run inside the writer's COMMIT).
  sqlite3_wal_hook(writeConn_->handle(), &SqliteStore::onWalCommit, this);
  checkpointer_ = std::thread([this] { checkpointLoop(); });
  if (walFd_ >= 0) {
    syncer_ = std::thread([this] { syncLoop(); });
  }
  writer_ = std::thread([this] { writerLoop(); });
  writerId_ = writer_.get_id();
}

SqliteStore::~SqliteStore() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  queueCv_.notify_all();
  if (writer_.joinable()) {
    writer_.join();
  }
  {
    std::lock_guard<std::mutex> lock(syncMu_);
    syncStopping_ = true;
  }
  syncCv_.notify_all();
  if (syncer_.joinable()) {
    syncer_.join();
  }
  {
    std::lock_guard<std::mutex> lock(checkpointMu_);
    checkpointStopping_ = true;
  }
  checkpointCv_.notify_all();
  if (checkpointer_.joinable()) {
    checkpointer_.join();
  }
  if (walFd_ >= 0) {
    ::close(walFd_);
  }
  // Readers first: closing the write connection last checkpoints the WAL and removes it.
  freeReaders_.clear();
  readConns_.clear();
  checkpointConn_.reset();
  writeConn_.reset();
}

Status SqliteStore::write(const WriteFn& fn) {
  if (std::this_thread::get_id() == writerId_) {
    return base::makeError(ErrorCode::kInternal, "write() called from inside a write fn");
  }
  if (syncFailed_.load()) {
    return base::makeError(ErrorCode::kStorageFailure,
                           "the database's WAL could not be flushed to disk earlier; restart the "
                           "service to recover");
  }
  Job job(&fn);
  std::unique_lock<std::mutex> lock(mu_);
  if (stopping_) {
    return base::makeError(ErrorCode::kStorageFailure, "the store is closing");
  }
  queue_.push_back(&job);
  queueCv_.notify_one();
  job.cv.wait(lock, [&job] { return job.done; });
  return std::move(job.result);
}

SqliteStore::WriterStats SqliteStore::writerStats() const {
  WriterStats stats;
  stats.batches = batches_.load();
  stats.jobs = jobs_.load();
  stats.fnNs = fnNs_.load();
  stats.commitNs = commitNs_.load();
  stats.cpuNs = writerCpuNs_.load();
  stats.flushes = flushes_.load();
  stats.flushNs = flushNs_.load();
  stats.checkpoints = checkpoints_.load();
  stats.writerCheckpoints = writerCheckpoints_.load();
  return stats;
}

size_t SqliteStore::queuedForTest() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

void SqliteStore::writerLoop() {
  std::vector<Job*> batch;
  batch.reserve(static_cast<size_t>(maxBatch_));
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      queueCv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) {
        return;  // stopping, and every queued write is done
      }
      while (!queue_.empty() && batch.size() < static_cast<size_t>(maxBatch_)) {
        batch.push_back(queue_.front());
        queue_.pop_front();
      }
    }
    const bool committed = runBatch(batch);
    if (walFrames_.load(std::memory_order_relaxed) >= kRestartFrames) {
      // The WAL only starts over at a transaction that begins once everything in it has been
      // copied, which under steady load the background checkpoint never sees (the writer
      // appends while it copies). Finish the copy here, between two transactions: the next
      // BEGIN then starts the WAL over. A background pass in progress is waited for first
      // (SQLite would refuse a second checkpoint meanwhile, and the WAL would keep growing).
      std::lock_guard<std::mutex> running(checkpointRunMu_);
      int logFrames = 0;
      int copied = 0;
      if (sqlite3_wal_checkpoint_v2(writeConn_->handle(), "main", SQLITE_CHECKPOINT_PASSIVE,
                                    &logFrames, &copied) == SQLITE_OK) {
        writerCheckpoints_.fetch_add(1, std::memory_order_relaxed);
      }
    }
    timespec cpu{};
    if (::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu) == 0) {
      writerCpuNs_.store(static_cast<int64_t>(cpu.tv_sec) * 1000000000 + cpu.tv_nsec);
    }
    if (committed && walFd_ >= 0) {
      {
        std::lock_guard<std::mutex> lock(syncMu_);
        syncQueue_.push_back(std::move(batch));
      }
      syncCv_.notify_one();
      batch = std::vector<Job*>();
      batch.reserve(static_cast<size_t>(maxBatch_));
    } else {
      answer(batch);
      batch.clear();
    }
  }
}

void SqliteStore::answer(const std::vector<Job*>& batch) {
  // Notify under the lock: a Job lives on its caller's stack and is gone once it sees done.
  std::lock_guard<std::mutex> lock(mu_);
  for (Job* job : batch) {
    job->done = true;
    job->cv.notify_one();
  }
}

void SqliteStore::syncLoop() {
  std::vector<std::vector<Job*>> committed;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(syncMu_);
      syncCv_.wait(lock, [this] { return syncStopping_ || !syncQueue_.empty(); });
      if (syncQueue_.empty()) {
        return;  // stopping, and every committed batch is answered
      }
      committed.swap(syncQueue_);
    }
    // Every batch taken here finished its COMMIT (its frames are written) before it was queued,
    // so this one flush makes all of them durable.
    const auto started = std::chrono::steady_clock::now();
    const int rc = ::fdatasync(walFd_);
    const int error = errno;
    flushNs_.fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(
                           std::chrono::steady_clock::now() - started)
                           .count(),
                       std::memory_order_relaxed);
    flushes_.fetch_add(1, std::memory_order_relaxed);
    if (rc != 0) {
      // After a failed flush the kernel may have dropped the dirty pages: nothing written since
      // can be trusted to reach the disk, so the store stops accepting writes.
      syncFailed_.store(true);
      const base::Error failed = base::makeError(
          ErrorCode::kStorageFailure,
          std::string("flush the database's WAL to disk: ") + std::strerror(error) +
              " (the write may or may not be stored; restart the service to recover)");
      for (std::vector<Job*>& batch : committed) {
        for (Job* job : batch) {
          job->result = failed;
        }
      }
    }
    for (const std::vector<Job*>& batch : committed) {
      answer(batch);
    }
    committed.clear();
  }
}

int SqliteStore::onWalCommit(void* self, sqlite3* /*db*/, const char* /*name*/, int frames) {
  auto* store = static_cast<SqliteStore*>(self);
  store->walFrames_.store(frames, std::memory_order_relaxed);
  // One background pass per kCheckpointFrames new frames (as SQLite's automatic checkpoint
  // would): a pass for every COMMIT while the WAL is long cost two fsyncs each, for nothing.
  // Runs on the writer thread only, so checkpointAt_ needs no lock.
  if (frames < store->checkpointAt_ - kCheckpointFrames) {
    store->checkpointAt_ = kCheckpointFrames;  // the WAL started over
  }
  if (frames >= store->checkpointAt_) {
    store->checkpointAt_ = frames + kCheckpointFrames;
    {
      std::lock_guard<std::mutex> lock(store->checkpointMu_);
      store->checkpointWanted_ = true;
    }
    store->checkpointCv_.notify_one();
  }
  return SQLITE_OK;
}

void SqliteStore::checkpointLoop() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(checkpointMu_);
      checkpointCv_.wait(lock, [this] { return checkpointStopping_ || checkpointWanted_; });
      if (checkpointStopping_) {
        return;
      }
      checkpointWanted_ = false;
    }
    // PASSIVE copies what no reader still needs and never blocks the writer. A busy or failed
    // checkpoint is retried when the next COMMIT finds the WAL still long.
    std::lock_guard<std::mutex> running(checkpointRunMu_);
    int logFrames = 0;
    int copied = 0;
    (void)sqlite3_wal_checkpoint_v2(checkpointConn_->handle(), "main",
                                    SQLITE_CHECKPOINT_PASSIVE, &logFrames, &copied);
    checkpoints_.fetch_add(1, std::memory_order_relaxed);
  }
}

bool SqliteStore::runBatch(std::vector<Job*>& batch) {
  batches_.fetch_add(1, std::memory_order_relaxed);
  jobs_.fetch_add(batch.size(), std::memory_order_relaxed);
  SqliteConnection& conn = *writeConn_;

  auto failAll = [&batch](const base::Error& error) {
    for (Job* job : batch) {
      job->result = error;
    }
  };
  auto abandon = [&conn]() {
    if (!conn.autocommit()) {
      (void)conn.exec("ROLLBACK", "roll back batch");
    }
  };

  const auto started = std::chrono::steady_clock::now();
  if (Status begun = runSql(conn, kBeginWrite, "begin write transaction"); !begun.ok()) {
    abandon();
    failAll(begun.error());
    return false;
  }
  SqliteWriter writer(conn);
  for (Job* job : batch) {
    if (Status s = runSql(conn, kSavepoint, "savepoint"); !s.ok()) {
      abandon();
      failAll(s.error());
      return false;
    }
    Status result;
    try {
      result = (*job->fn)(writer);
    } catch (const std::exception& e) {
      result = base::makeError(ErrorCode::kInternal, std::string("write fn threw: ") + e.what());
    } catch (...) {
      result = base::makeError(ErrorCode::kInternal, "write fn threw a non-exception");
    }
    if (conn.autocommit()) {
      // SQLite rolled the whole transaction back (I/O error, disk full, ...): the batch is lost.
      failAll(base::makeError(ErrorCode::kStorageFailure,
                              "write transaction rolled back by SQLite" +
                                  (result.ok() ? std::string() : ": " + result.error().message)));
      return false;
    }
    if (result.ok()) {
      if (Status released = runSql(conn, kRelease, "release savepoint"); !released.ok()) {
        result = released;
      }
    }
    if (!result.ok()) {
      Status undone = runSql(conn, kRollbackTo, "roll back savepoint");
      if (undone.ok()) {
        undone = runSql(conn, kRelease, "release savepoint");
      }
      if (!undone.ok()) {
        abandon();
        failAll(undone.error());
        return false;
      }
    }
    job->result = std::move(result);
  }
  const auto committing = std::chrono::steady_clock::now();
  Status committed = runSql(conn, kCommit, "commit");
  if (!committed.ok()) {
    abandon();
    failAll(committed.error());
  }
  const auto finished = std::chrono::steady_clock::now();
  fnNs_.fetch_add(
      std::chrono::duration_cast<std::chrono::nanoseconds>(committing - started).count(),
      std::memory_order_relaxed);
  commitNs_.fetch_add(
      std::chrono::duration_cast<std::chrono::nanoseconds>(finished - committing).count(),
      std::memory_order_relaxed);
  return committed.ok();
}

// ---- Reads ----

SqliteStore::ReadLease SqliteStore::leaseReader() {
  std::unique_lock<std::mutex> lock(readMu_);
  readCv_.wait(lock, [this] { return !freeReaders_.empty(); });
  SqliteConnection* conn = freeReaders_.back();
  freeReaders_.pop_back();
  return ReadLease(*this, conn);
}

Result<std::optional<Customer>> SqliteStore::findCustomer(const std::string& card) {
  ReadLease lease = leaseReader();
  return queryCustomer(lease.conn(), kFindCustomer, card);
}

Result<std::optional<Customer>> SqliteStore::findCustomerById(int64_t customerId) {
  ReadLease lease = leaseReader();
  return queryCustomer(lease.conn(), kFindCustomerById, customerId);
}

Result<std::vector<Sale>> SqliteStore::salesOf(int64_t customerId, size_t limit) {
  if (limit == 0) {
    return std::vector<Sale>();
  }
  ReadLease lease = leaseReader();
  SqliteConnection& conn = lease.conn();
  return inReadTransaction(conn, [&] { return querySalesOf(conn, customerId, sqlLimit(limit)); });
}

Result<std::vector<Sale>> SqliteStore::salesSince(int64_t sinceMs, int64_t afterSaleId,
                                                  size_t limit) {
  if (limit == 0) {
    return std::vector<Sale>();
  }
  ReadLease lease = leaseReader();
  SqliteConnection& conn = lease.conn();
  return inReadTransaction(
      conn, [&] { return querySalesSince(conn, sinceMs, afterSaleId, sqlLimit(limit)); });
}

Result<std::vector<LedgerEntry>> SqliteStore::ledgerOf(int64_t customerId) {
  ReadLease lease = leaseReader();
  return queryLedgerOf(lease.conn(), customerId);
}

Result<std::optional<std::string>> SqliteStore::habitProfile(int64_t customerId) {
  ReadLease lease = leaseReader();
  return queryHabitProfile(lease.conn(), customerId);
}

Result<std::vector<Product>> SqliteStore::products() {
  ReadLease lease = leaseReader();
  return queryAll<Product>(lease.conn(), kProducts, "list products", [](const Statement& row) {
    return Product{row.text(0), row.text(1), row.text(2), row.text(3)};
  });
}

Result<std::optional<std::string>> SqliteStore::setting(const std::string& name) {
  ReadLease lease = leaseReader();
  return querySetting(lease.conn(), name);
}

Result<std::vector<Campaign>> SqliteStore::campaigns() {
  ReadLease lease = leaseReader();
  return queryCampaigns(lease.conn());
}

Result<std::optional<Campaign>> SqliteStore::findCampaign(int64_t campaignId) {
  ReadLease lease = leaseReader();
  return queryCampaign(lease.conn(), campaignId);
}

Result<std::vector<Coupon>> SqliteStore::couponsOf(int64_t customerId) {
  ReadLease lease = leaseReader();
  return queryCouponsOf(lease.conn(), customerId);
}

Result<std::optional<Coupon>> SqliteStore::findCoupon(uint64_t serial) {
  ReadLease lease = leaseReader();
  return queryCoupon(lease.conn(), serial);
}

Result<std::vector<std::pair<int64_t, std::string>>> SqliteStore::habitProfiles(
    int64_t afterCustomerId, size_t limit) {
  using Profile = std::pair<int64_t, std::string>;
  if (limit == 0) {
    return std::vector<Profile>();
  }
  ReadLease lease = leaseReader();
  return queryAll<Profile>(
      lease.conn(), kHabitProfiles, "list habit profiles",
      [](const Statement& row) { return Profile(row.int64(0), row.blob(1)); }, afterCustomerId,
      sqlLimit(limit));
}

Result<std::vector<Coupon>> SqliteStore::couponsOfCampaign(int64_t campaignId, uint64_t afterSerial,
                                                           size_t limit) {
  if (limit == 0 || afterSerial >= kMaxSerial) {
    return std::vector<Coupon>();  // no serial is above kMaxSerial
  }
  ReadLease lease = leaseReader();
  return queryAll<Coupon>(lease.conn(), kCouponsOfCampaign, "coupons of campaign", couponFromRow,
                          campaignId, static_cast<int64_t>(afterSerial), sqlLimit(limit));
}

Result<std::vector<Redemption>> SqliteStore::conflicts(size_t limit) {
  if (limit == 0) {
    return std::vector<Redemption>();
  }
  ReadLease lease = leaseReader();
  return queryAll<Redemption>(lease.conn(), kConflicts, "list conflicts", redemptionFromRow,
                              sqlLimit(limit));
}

Result<std::vector<User>> SqliteStore::users() {
  ReadLease lease = leaseReader();
  return queryAll<User>(lease.conn(), kUsers, "list users", userFromRow);
}

Result<std::optional<User>> SqliteStore::findUser(const std::string& name) {
  ReadLease lease = leaseReader();
  return queryUser(lease.conn(), name);
}

Result<std::optional<Token>> SqliteStore::findToken(const std::string& hash) {
  ReadLease lease = leaseReader();
  return queryOne<Token>(lease.conn(), kFindToken, "find token", tokenFromRow, hash);
}

Result<std::vector<AuditEntry>> SqliteStore::audit(int64_t beforeId, size_t limit) {
  if (limit == 0) {
    return std::vector<AuditEntry>();
  }
  const int64_t before = beforeId == 0 ? std::numeric_limits<int64_t>::max() : beforeId;
  ReadLease lease = leaseReader();
  return queryAll<AuditEntry>(lease.conn(), kAudit, "read audit", auditFromRow, before,
                              sqlLimit(limit));
}

}  // namespace loyalty::core::storage

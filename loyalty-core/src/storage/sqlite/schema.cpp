#include "storage/sqlite/schema.h"

#include <sqlite3.h>

#include <array>
#include <string>

namespace loyalty::core::storage {
namespace {

using base::ErrorCode;
using base::Status;

// Each step ends by setting user_version to its own number (PRAGMA takes no placeholders; the
// number is a constant of this file). migrateSqliteSchema() checks that it did.

// Step 1: the initial schema. sale_tenders and refund_lines keep the caller's order in `seq`.
// The line tables have no foreign key to their sale or refund: only insertSale and insertRefund
// write them, with the id they just assigned, and a key check per line would cost a lookup on
// the checkout's hot path.
constexpr const char* kStep1 = R"sql(
CREATE TABLE customers (
  id INTEGER PRIMARY KEY,
  card TEXT NOT NULL UNIQUE,
  tier TEXT NOT NULL DEFAULT 'base',
  balance INTEGER NOT NULL DEFAULT 0 CHECK (balance >= 0),
  enrolled_at_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE products (
  sku TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  category_path TEXT NOT NULL,
  brand TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE sales (
  id INTEGER PRIMARY KEY,
  store TEXT NOT NULL,
  terminal TEXT NOT NULL,
  business_date TEXT NOT NULL,
  txn TEXT NOT NULL,
  fingerprint INTEGER NOT NULL,
  customer_id INTEGER REFERENCES customers(id),
  total INTEGER NOT NULL,
  points_earned INTEGER NOT NULL,
  balance_after INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  UNIQUE (store, terminal, business_date, txn)
) STRICT;
CREATE INDEX sales_by_customer ON sales(customer_id);

CREATE TABLE sale_lines (
  sale_id INTEGER NOT NULL,
  line INTEGER NOT NULL,
  sku TEXT NOT NULL,
  quantity INTEGER NOT NULL,
  unit_price INTEGER NOT NULL,
  earns INTEGER NOT NULL CHECK (earns IN (0, 1)),
  refunded_quantity INTEGER NOT NULL DEFAULT 0
    CHECK (refunded_quantity >= 0 AND refunded_quantity <= quantity),
  PRIMARY KEY (sale_id, line)
) STRICT, WITHOUT ROWID;

CREATE TABLE sale_tenders (
  sale_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  type TEXT NOT NULL,
  amount INTEGER NOT NULL,
  PRIMARY KEY (sale_id, seq)
) STRICT, WITHOUT ROWID;

CREATE TABLE refunds (
  id INTEGER PRIMARY KEY,
  store TEXT NOT NULL,
  terminal TEXT NOT NULL,
  business_date TEXT NOT NULL,
  txn TEXT NOT NULL,
  fingerprint INTEGER NOT NULL,
  sale_id INTEGER NOT NULL REFERENCES sales(id),
  customer_id INTEGER REFERENCES customers(id),
  amount INTEGER NOT NULL,
  points_reversed INTEGER NOT NULL,
  balance_after INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  UNIQUE (store, terminal, business_date, txn)
) STRICT;

CREATE TABLE refund_lines (
  refund_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  line INTEGER NOT NULL,
  quantity INTEGER NOT NULL,
  PRIMARY KEY (refund_id, seq)
) STRICT, WITHOUT ROWID;

CREATE TABLE ledger (
  id INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES customers(id),
  kind INTEGER NOT NULL CHECK (kind BETWEEN 0 AND 3),
  points INTEGER NOT NULL,
  sale_id INTEGER REFERENCES sales(id),
  refund_id INTEGER REFERENCES refunds(id),
  created_at_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX ledger_by_customer ON ledger(customer_id);

PRAGMA user_version = 1;
)sql";

// Step 2: habit profiles (docs/personalization.md), one row per customer, replaced at every
// commit; `profile` holds HabitProfile::serialize() bytes.
constexpr const char* kStep2 = R"sql(
CREATE TABLE habit_profiles (
  customer_id INTEGER PRIMARY KEY REFERENCES customers(id),
  profile BLOB NOT NULL,
  updated_at_ms INTEGER NOT NULL
) STRICT;

PRAGMA user_version = 2;
)sql";

// Step 3: coupons and the admin API (docs/offers.md, docs/admin-api.md).
//   - customers is rebuilt: the balance may now go below zero (the "allow_negative" clawback
//     policy) and a customer carries debt (the "offset" policy). ledger is rebuilt: kinds 4
//     (redeem) and 5 (offset), and a note. Rows keep their ids. migrateSqliteSchema() runs every
//     step with foreign keys off and checks them before committing (the SQLite recipe for
//     changing a table's constraints), so dropping the old customers table touches no child row.
//   - New columns of sales, sale_lines and refunds, with the values an old row stands for.
//   - rollingSpend reads sales and refunds through covering (customer_id, created_at_ms, amount)
//     indexes; sales_by_customer stays for salesOf (newest first by id).
//   - Lists (campaign tiers and stores, a user's stores) are text joined by ',' (names are
//     [A-Za-z0-9_-]; the stores refuse an empty name or one holding ','). Enums are stored by
//     their model.h / reward.h names; coupon state by couponStateName().
//   - A coupon's reservation is its four TxnKey columns, all NULL when it is not reserved.
//   - redemptions_with_conflict is a partial index in id order: conflicts() reads it newest
//     first without scanning the clean redemptions.
constexpr const char* kStep3 = R"sql(
CREATE TABLE customers_v3 (
  id INTEGER PRIMARY KEY,
  card TEXT NOT NULL UNIQUE,
  tier TEXT NOT NULL DEFAULT 'base',
  balance INTEGER NOT NULL DEFAULT 0,
  enrolled_at_ms INTEGER NOT NULL,
  debt INTEGER NOT NULL DEFAULT 0 CHECK (debt >= 0)
) STRICT;
INSERT INTO customers_v3(id, card, tier, balance, enrolled_at_ms)
  SELECT id, card, tier, balance, enrolled_at_ms FROM customers;
DROP TABLE customers;
ALTER TABLE customers_v3 RENAME TO customers;

CREATE TABLE ledger_v3 (
  id INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES customers(id),
  kind INTEGER NOT NULL CHECK (kind BETWEEN 0 AND 5),
  points INTEGER NOT NULL,
  sale_id INTEGER REFERENCES sales(id),
  refund_id INTEGER REFERENCES refunds(id),
  created_at_ms INTEGER NOT NULL,
  note TEXT NOT NULL DEFAULT ''
) STRICT;
INSERT INTO ledger_v3(id, customer_id, kind, points, sale_id, refund_id, created_at_ms)
  SELECT id, customer_id, kind, points, sale_id, refund_id, created_at_ms FROM ledger;
DROP TABLE ledger;
ALTER TABLE ledger_v3 RENAME TO ledger;
CREATE INDEX ledger_by_customer ON ledger(customer_id);

ALTER TABLE sales ADD COLUMN tier TEXT NOT NULL DEFAULT 'base';
ALTER TABLE sales ADD COLUMN discount_total INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sales ADD COLUMN points_redeemed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sales ADD COLUMN coupon_bonus INTEGER NOT NULL DEFAULT 0;
CREATE INDEX sales_by_customer_time ON sales(customer_id, created_at_ms, total);

ALTER TABLE sale_lines ADD COLUMN discount INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sale_lines ADD COLUMN points_tendered INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sale_lines ADD COLUMN points_tender_value INTEGER NOT NULL DEFAULT 0;

ALTER TABLE refunds ADD COLUMN points_returned INTEGER NOT NULL DEFAULT 0;
ALTER TABLE refunds ADD COLUMN debt_added INTEGER NOT NULL DEFAULT 0;
ALTER TABLE refunds ADD COLUMN coupons_returned INTEGER NOT NULL DEFAULT 0;
CREATE INDEX refunds_by_customer_time ON refunds(customer_id, created_at_ms, amount);

CREATE TABLE settings (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at_ms INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE campaigns (
  id INTEGER PRIMARY KEY CHECK (id BETWEEN 1 AND 4294967295),
  name TEXT NOT NULL,
  owner_store TEXT NOT NULL,
  status TEXT NOT NULL,
  from_date TEXT,
  to_date TEXT,
  reward_kind TEXT NOT NULL,
  reward_target TEXT NOT NULL,
  reward_value TEXT NOT NULL,
  reward_amount INTEGER NOT NULL,
  reward_percent INTEGER NOT NULL,
  reward_points INTEGER NOT NULL,
  reward_buy_quantity INTEGER NOT NULL,
  reward_get_quantity INTEGER NOT NULL,
  reward_max_groups INTEGER NOT NULL,
  reward_min_quantity INTEGER NOT NULL,
  reward_min_spend INTEGER NOT NULL,
  tiers TEXT NOT NULL,
  stores TEXT NOT NULL,
  validity_days INTEGER NOT NULL,
  budget_count INTEGER NOT NULL,
  budget_cost INTEGER NOT NULL,
  cap_per_visit INTEGER NOT NULL,
  cap_per_period INTEGER NOT NULL,
  cap_period_days INTEGER NOT NULL,
  issuance TEXT NOT NULL,
  trigger_target TEXT NOT NULL,
  trigger_value TEXT NOT NULL,
  trigger_min_quantity INTEGER NOT NULL,
  trigger_min_spend INTEGER NOT NULL,
  control_percent INTEGER NOT NULL,
  issued_count INTEGER NOT NULL,
  redeemed_cost INTEGER NOT NULL,
  redeemed_count INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE coupons (
  serial INTEGER PRIMARY KEY,
  campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
  customer_id INTEGER NOT NULL REFERENCES customers(id),
  code TEXT NOT NULL,
  expires TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('issued', 'redeemed', 'void')),
  issued_at_ms INTEGER NOT NULL,
  issued_by_sale_id INTEGER REFERENCES sales(id),
  reserved_store TEXT,
  reserved_terminal TEXT,
  reserved_business_date TEXT,
  reserved_txn TEXT,
  reserved_until_ms INTEGER NOT NULL,
  redeemed_by_sale_id INTEGER REFERENCES sales(id),
  CHECK ((reserved_store IS NULL) = (reserved_txn IS NULL)
         AND (reserved_terminal IS NULL) = (reserved_txn IS NULL)
         AND (reserved_business_date IS NULL) = (reserved_txn IS NULL))
) STRICT;
CREATE INDEX coupons_by_customer ON coupons(customer_id, campaign_id, issued_at_ms);
CREATE INDEX coupons_by_reservation
  ON coupons(reserved_store, reserved_terminal, reserved_business_date, reserved_txn)
  WHERE reserved_txn IS NOT NULL;
CREATE INDEX coupons_by_issuing_sale ON coupons(issued_by_sale_id)
  WHERE issued_by_sale_id IS NOT NULL;

CREATE TABLE redemptions (
  id INTEGER PRIMARY KEY,
  serial INTEGER NOT NULL REFERENCES coupons(serial),
  campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
  customer_id INTEGER NOT NULL REFERENCES customers(id),
  sale_id INTEGER NOT NULL REFERENCES sales(id),
  discount INTEGER NOT NULL,
  bonus_points INTEGER NOT NULL,
  offline INTEGER NOT NULL CHECK (offline IN (0, 1)),
  conflict TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  returned_by_refund_id INTEGER REFERENCES refunds(id)
) STRICT;
CREATE INDEX redemptions_by_sale ON redemptions(sale_id);
CREATE INDEX redemptions_by_customer ON redemptions(customer_id, campaign_id, created_at_ms);
CREATE INDEX redemptions_with_conflict ON redemptions(id) WHERE conflict <> '';

CREATE TABLE users (
  name TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  stores TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  disabled INTEGER NOT NULL CHECK (disabled IN (0, 1))
) STRICT, WITHOUT ROWID;

CREATE TABLE tokens (
  hash TEXT PRIMARY KEY,
  user_name TEXT NOT NULL REFERENCES users(name),
  expires_at_ms INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE audit (
  id INTEGER PRIMARY KEY,
  at_ms INTEGER NOT NULL,
  user_name TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  outcome TEXT NOT NULL,
  before_json TEXT NOT NULL,
  after_json TEXT NOT NULL
) STRICT;

PRAGMA user_version = 3;
)sql";

// Step 4: personalized coupons (docs/personalization.md, docs/offers.md).
//   - campaigns: how many coupons a personalized campaign chooses per sale, the share of
//     "discover" coupons among them, and whether an item of today's basket may be chosen; an old
//     campaign gets the model.h defaults.
//   - coupons is rebuilt (the recipe of step 3; rows keep their serials): the state CHECK takes
//     'control' (the would-have-been coupon of a control-group shopper, recorded with an empty
//     code; code has no UNIQUE constraint, so any number of coupons may have an empty code), and
//     a coupon names the product chosen for it in sku ('' for an old coupon). redemptions names
//     coupons by serial, which the rebuild keeps. The indexes of step 3 are made again.
//   - coupons_by_campaign serves couponsOfCampaign (a campaign's coupons by serial, paged).
//     habitProfiles pages habit_profiles by its primary key and needs no index of its own.
constexpr const char* kStep4 = R"sql(
ALTER TABLE campaigns ADD COLUMN personalized_count INTEGER NOT NULL DEFAULT 1;
ALTER TABLE campaigns ADD COLUMN discover_percent INTEGER NOT NULL DEFAULT 20;
ALTER TABLE campaigns ADD COLUMN allow_basket_items INTEGER NOT NULL DEFAULT 0
  CHECK (allow_basket_items IN (0, 1));

CREATE TABLE coupons_v4 (
  serial INTEGER PRIMARY KEY,
  campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
  customer_id INTEGER NOT NULL REFERENCES customers(id),
  code TEXT NOT NULL,
  sku TEXT NOT NULL DEFAULT '',
  expires TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('issued', 'redeemed', 'void', 'control')),
  issued_at_ms INTEGER NOT NULL,
  issued_by_sale_id INTEGER REFERENCES sales(id),
  reserved_store TEXT,
  reserved_terminal TEXT,
  reserved_business_date TEXT,
  reserved_txn TEXT,
  reserved_until_ms INTEGER NOT NULL,
  redeemed_by_sale_id INTEGER REFERENCES sales(id),
  CHECK ((reserved_store IS NULL) = (reserved_txn IS NULL)
         AND (reserved_terminal IS NULL) = (reserved_txn IS NULL)
         AND (reserved_business_date IS NULL) = (reserved_txn IS NULL))
) STRICT;
INSERT INTO coupons_v4(serial, campaign_id, customer_id, code, expires, state, issued_at_ms,
                       issued_by_sale_id, reserved_store, reserved_terminal,
                       reserved_business_date, reserved_txn, reserved_until_ms,
                       redeemed_by_sale_id)
  SELECT serial, campaign_id, customer_id, code, expires, state, issued_at_ms, issued_by_sale_id,
         reserved_store, reserved_terminal, reserved_business_date, reserved_txn,
         reserved_until_ms, redeemed_by_sale_id FROM coupons;
DROP TABLE coupons;
ALTER TABLE coupons_v4 RENAME TO coupons;
CREATE INDEX coupons_by_customer ON coupons(customer_id, campaign_id, issued_at_ms);
CREATE INDEX coupons_by_reservation
  ON coupons(reserved_store, reserved_terminal, reserved_business_date, reserved_txn)
  WHERE reserved_txn IS NOT NULL;
CREATE INDEX coupons_by_issuing_sale ON coupons(issued_by_sale_id)
  WHERE issued_by_sale_id IS NOT NULL;
CREATE INDEX coupons_by_campaign ON coupons(campaign_id, serial);

PRAGMA user_version = 4;
)sql";

constexpr std::array<const char*, 4> kSteps = {kStep1, kStep2, kStep3, kStep4};

base::Error failure(sqlite3* db, const std::string& what) {
  return base::makeError(ErrorCode::kStorageFailure, what + ": " + sqlite3_errmsg(db));
}

Status exec(sqlite3* db, const char* sql, const std::string& what) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return failure(db, what);
  }
  return base::okStatus();
}

// The integer a PRAGMA query returns (fixed text, never built from values).
base::Result<int> intPragma(sqlite3* db, const char* sql) {
  const std::string what = std::string("read ") + sql;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) {
    return failure(db, what);
  }
  int rc = sqlite3_step(stmt);
  int value = rc == SQLITE_ROW ? sqlite3_column_int(stmt, 0) : 0;
  if (rc != SQLITE_ROW) {
    base::Error error = failure(db, what);
    sqlite3_finalize(stmt);
    return error;
  }
  sqlite3_finalize(stmt);
  return value;
}

base::Result<int> userVersion(sqlite3* db) { return intPragma(db, "PRAGMA user_version"); }

// kStorageFailure when a row breaks a foreign key (PRAGMA foreign_key_check returns a row).
Status checkForeignKeys(sqlite3* db, const std::string& what) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &stmt, nullptr) != SQLITE_OK) {
    return failure(db, what + ": check foreign keys");
  }
  int rc = sqlite3_step(stmt);
  Status status = base::okStatus();
  if (rc == SQLITE_ROW) {
    const unsigned char* table = sqlite3_column_text(stmt, 0);
    status = base::makeError(
        ErrorCode::kStorageFailure,
        what + ": a row of " +
            (table != nullptr ? reinterpret_cast<const char*>(table) : std::string("?")) +
            " breaks a foreign key");
  } else if (rc != SQLITE_DONE) {
    status = failure(db, what + ": check foreign keys");
  }
  sqlite3_finalize(stmt);
  return status;
}

base::Error tooNew(int version) {
  return base::makeError(ErrorCode::kStorageFailure,
                         "database schema version " + std::to_string(version) +
                             " is newer than this build supports (" +
                             std::to_string(sqliteSchemaVersion()) + ")");
}

// Applies steps initial .. target - 1, each in its own transaction.
Status runSteps(sqlite3* db, int initial, int target) {
  for (int step = initial; step < target; ++step) {
    const std::string what = "schema migration " + std::to_string(step + 1);
    if (Status begun = exec(db, "BEGIN IMMEDIATE", what); !begun.ok()) {
      return begun;
    }
    // Another process may have migrated between our read and BEGIN IMMEDIATE: read again.
    base::Result<int> current = userVersion(db);
    Status status = base::okStatus();
    if (!current.ok()) {
      status = current.error();
    } else if (*current > sqliteSchemaVersion()) {
      status = tooNew(*current);
    } else if (*current == step) {
      status = exec(db, kSteps[static_cast<size_t>(step)], what);
      if (status.ok()) {
        base::Result<int> after = userVersion(db);
        if (!after.ok()) {
          status = after.error();
        } else if (*after != step + 1) {
          status = base::makeError(ErrorCode::kInternal,
                                   what + ": the step set user_version " + std::to_string(*after));
        }
      }
      if (status.ok()) {
        status = checkForeignKeys(db, what);
      }
    }
    if (status.ok()) {
      status = exec(db, "COMMIT", what);
    }
    if (!status.ok()) {
      if (sqlite3_get_autocommit(db) == 0) {
        sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      }
      return status;
    }
    if (current.ok() && *current > step) {
      step = *current - 1;  // skip the steps the other process applied
    }
  }
  return base::okStatus();
}

}  // namespace

int sqliteSchemaVersion() { return static_cast<int>(kSteps.size()); }

Status migrateSqliteSchema(sqlite3* db) { return migrateSqliteSchemaTo(db, sqliteSchemaVersion()); }

Status migrateSqliteSchemaTo(sqlite3* db, int target) {
  if (target < 0 || target > sqliteSchemaVersion()) {
    return base::makeError(ErrorCode::kInternal,
                           "schema migration: no version " + std::to_string(target));
  }
  base::Result<int> initial = userVersion(db);
  if (!initial.ok()) {
    return initial.error();
  }
  if (*initial > sqliteSchemaVersion()) {
    return tooNew(*initial);
  }
  if (*initial >= target) {
    return base::okStatus();
  }
  // Foreign keys are off while the steps run (a step may rebuild a parent table) and checked
  // by checkForeignKeys() before each COMMIT; the caller's setting is restored afterwards.
  base::Result<int> foreignKeys = intPragma(db, "PRAGMA foreign_keys");
  if (!foreignKeys.ok()) {
    return foreignKeys.error();
  }
  if (Status off = exec(db, "PRAGMA foreign_keys = OFF", "disable foreign keys"); !off.ok()) {
    return off;
  }
  Status status = runSteps(db, *initial, target);
  if (*foreignKeys != 0) {
    Status on = exec(db, "PRAGMA foreign_keys = ON", "enable foreign keys");
    if (status.ok()) {
      status = on;
    }
  }
  return status;
}

}  // namespace loyalty::core::storage

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

constexpr std::array<const char*, 2> kSteps = {kStep1, kStep2};

base::Error failure(sqlite3* db, const std::string& what) {
  return base::makeError(ErrorCode::kStorageFailure, what + ": " + sqlite3_errmsg(db));
}

Status exec(sqlite3* db, const char* sql, const std::string& what) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return failure(db, what);
  }
  return base::okStatus();
}

base::Result<int> userVersion(sqlite3* db) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr) != SQLITE_OK) {
    return failure(db, "read schema version");
  }
  int rc = sqlite3_step(stmt);
  int version = rc == SQLITE_ROW ? sqlite3_column_int(stmt, 0) : 0;
  if (rc != SQLITE_ROW) {
    base::Error error = failure(db, "read schema version");
    sqlite3_finalize(stmt);
    return error;
  }
  sqlite3_finalize(stmt);
  return version;
}

base::Error tooNew(int version) {
  return base::makeError(ErrorCode::kStorageFailure,
                         "database schema version " + std::to_string(version) +
                             " is newer than this build supports (" +
                             std::to_string(sqliteSchemaVersion()) + ")");
}

}  // namespace

int sqliteSchemaVersion() { return static_cast<int>(kSteps.size()); }

Status migrateSqliteSchema(sqlite3* db) {
  base::Result<int> initial = userVersion(db);
  if (!initial.ok()) {
    return initial.error();
  }
  if (*initial > sqliteSchemaVersion()) {
    return tooNew(*initial);
  }
  for (int step = *initial; step < sqliteSchemaVersion(); ++step) {
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
      status = exec(db, kSteps[step], what);
      if (status.ok()) {
        base::Result<int> after = userVersion(db);
        if (!after.ok()) {
          status = after.error();
        } else if (*after != step + 1) {
          status = base::makeError(ErrorCode::kInternal,
                                   what + ": the step set user_version " + std::to_string(*after));
        }
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

}  // namespace loyalty::core::storage

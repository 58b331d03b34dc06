// The SQLite schema of loyalty-core and its migrations.
//
// The schema is an ordered list of migration steps; step i (0-based) takes a database from
// PRAGMA user_version i to i + 1. migrateSqliteSchema() applies the missing steps, each in its
// own transaction, so a crash between steps leaves a database at a valid earlier version.
// Steps are never edited once released: a schema change is a new step at the end.
//
// Invariants of the schema (checked by SQLite itself, STRICT tables):
//   - customers.debt is >= 0 (the balance may be negative since step 3, "allow_negative");
//   - sale_lines.refunded_quantity is in [0, quantity];
//   - one sale per (store, terminal, business_date, txn), likewise one refund;
//   - coupons.state is a couponStateName() ('control' since step 4); coupons.code is not unique
//     (control coupons all have an empty code);
//   - every ledger row names an existing customer, and its sale or refund if any; coupons,
//     redemptions and tokens name existing records likewise (foreign keys).
// Amounts are INTEGER minor units or points; fingerprints are the uint64 bit pattern as int64.
//
// Thread safety: the functions are stateless; migrateSqliteSchema() uses only the connection it
// is given, which the caller must not use concurrently.
#pragma once

#include "loyalty/base/result.h"

struct sqlite3;

namespace loyalty::core::storage {

// The number of migration steps, i.e. the user_version of an up-to-date database.
int sqliteSchemaVersion();

// Brings the database to sqliteSchemaVersion(). Errors (kStorageFailure): the database has a
// newer user_version than this build knows, or a step failed (that step left no trace).
// Requires: db is a read-write connection with no open transaction.
// Foreign keys are off while the steps run and checked before each step commits; the
// connection's foreign_keys setting is restored afterwards.
base::Status migrateSqliteSchema(sqlite3* db);

// Brings the database to version target (<= sqliteSchemaVersion()), not beyond: tests use it to
// build a database of an earlier release. Does nothing when the database is at target or later.
base::Status migrateSqliteSchemaTo(sqlite3* db, int target);

}  // namespace loyalty::core::storage

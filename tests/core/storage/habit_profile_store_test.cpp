// The habit-profile part of the LoyaltyStore contract (every backend), and SQLite's migration
// to schema version 2 (habit_profiles) on a database made by version 1.
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <string>

#include "storage/sqlite/schema.h"
#include "storage_test_util.h"

namespace loyalty::core::storage::testing {
namespace {

using base::ErrorCode;
using base::Result;
using base::Status;
using domain::StoreWriter;

Status save(domain::LoyaltyStore& store, int64_t customerId, const std::string& bytes) {
  return store.write([&](StoreWriter& w) { return w.saveHabitProfile(customerId, bytes, 77); });
}

std::optional<std::string> readInWrite(domain::LoyaltyStore& store, int64_t customerId) {
  std::optional<std::string> out;
  Status s = store.write([&](StoreWriter& w) -> Status {
    auto found = w.findHabitProfile(customerId);
    if (!found.ok()) {
      return found.error();
    }
    out = *found;
    return base::okStatus();
  });
  REQUIRE(s.ok());
  return out;
}

}  // namespace

TEMPLATE_TEST_CASE("LoyaltyStore: a habit profile is stored, replaced and read back", "[storage]",
                   MemoryBackend, SqliteBackend) {
  TestType backend;
  auto store = backend.open();
  const domain::Customer customer = enrol(*store, "6001");
  const domain::Customer other = enrol(*store, "6002");

  auto none = store->habitProfile(customer.id);
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
  CHECK_FALSE(readInWrite(*store, customer.id).has_value());

  // Arbitrary bytes, including NUL and high bytes, round-trip exactly.
  const std::string first("\x01\x00\xff profile", 11);
  REQUIRE(save(*store, customer.id, first).ok());
  auto read = store->habitProfile(customer.id);
  REQUIRE(read.ok());
  REQUIRE(read->has_value());
  CHECK(**read == first);
  CHECK(readInWrite(*store, customer.id) == first);
  CHECK_FALSE(store->habitProfile(other.id)->has_value());

  REQUIRE(save(*store, customer.id, "second").ok());
  CHECK(store->habitProfile(customer.id)->value() == "second");
  REQUIRE(save(*store, other.id, "").ok());  // an empty profile is still a profile
  CHECK(store->habitProfile(other.id)->value().empty());
}

TEMPLATE_TEST_CASE("LoyaltyStore: a habit profile write is atomic with its fn", "[storage]",
                   MemoryBackend, SqliteBackend) {
  TestType backend;
  auto store = backend.open();
  const domain::Customer customer = enrol(*store, "6001");
  REQUIRE(save(*store, customer.id, "kept").ok());
  Status failed = store->write([&](StoreWriter& w) -> Status {
    Status s = w.saveHabitProfile(customer.id, "lost", 1);
    REQUIRE(s.ok());
    CHECK(w.findHabitProfile(customer.id)->value() == "lost");  // the fn sees its own write
    return base::makeError(ErrorCode::kInvalidValue, "fn fails");
  });
  CHECK(failed.error().code == ErrorCode::kInvalidValue);
  CHECK(store->habitProfile(customer.id)->value() == "kept");
}

TEMPLATE_TEST_CASE("LoyaltyStore: a habit profile needs an existing customer", "[storage]",
                   MemoryBackend, SqliteBackend) {
  TestType backend;
  auto store = backend.open();
  Status s = save(*store, 42, "orphan");
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == ErrorCode::kStorageFailure);
  CHECK_FALSE(store->habitProfile(42)->has_value());
}

TEST_CASE("SqliteStore: a version 1 database migrates to habit_profiles and keeps its data",
          "[storage][sqlite]") {
  TempDir dir("loyalty-storage");
  const std::string path = dir.file("loyalty.db");
  {
    // A version 1 database, as the first release created it, with one customer.
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    REQUIRE(migrateSqliteSchemaTo(db, 1).ok());
    REQUIRE(sqlite3_exec(db,
                         "INSERT INTO customers(card, tier, balance, enrolled_at_ms) "
                         "VALUES ('6001', 'base', 0, 1)",
                         nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  auto store = openSqlite(sqliteOptions(path));
  CHECK(sqliteSchemaVersion() >= 2);
  auto customer = store->findCustomer("6001");
  REQUIRE(customer.ok());
  REQUIRE(customer->has_value());
  REQUIRE(save(*store, (*customer)->id, "after migration").ok());
  CHECK(store->habitProfile((*customer)->id)->value() == "after migration");
}

TEST_CASE("SqliteStore: a habit profile survives close and reopen", "[storage][sqlite]") {
  TempDir dir("loyalty-storage");
  const SqliteOptions options = sqliteOptions(dir.file("loyalty.db"));
  {
    auto store = openSqlite(options);
    const domain::Customer customer = enrol(*store, "6001");
    REQUIRE(save(*store, customer.id, std::string(5000, '\x7f')).ok());
  }
  auto store = openSqlite(options);
  auto read = store->habitProfile(1);
  REQUIRE(read.ok());
  REQUIRE(read->has_value());
  CHECK(**read == std::string(5000, '\x7f'));
}

}  // namespace loyalty::core::storage::testing

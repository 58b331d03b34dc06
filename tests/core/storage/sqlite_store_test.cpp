// SqliteStore beyond the shared contract: durability across reopen, schema versions, opening
// errors, group commit under concurrency, and reads running beside the writer.
#include <sqlite3.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "storage/sqlite/schema.h"
#include "storage_test_util.h"

namespace loyalty::core::storage::testing {
namespace {

using base::ErrorCode;
using base::Points;
using base::Result;
using base::Status;
using domain::Customer;
using domain::LedgerEntry;
using domain::LedgerKind;
using domain::Product;
using domain::Sale;
using domain::StoreWriter;

Status enrolStatus(domain::LoyaltyStore& store, const std::string& card) {
  return store.write([&](StoreWriter& writer) -> Status {
    Result<Customer> inserted = writer.insertCustomer(card, 1);
    return inserted.ok() ? base::okStatus() : Status(inserted.error());
  });
}

bool hasCustomer(domain::LoyaltyStore& store, const std::string& card) {
  Result<std::optional<Customer>> found = store.findCustomer(card);
  REQUIRE(found.ok());
  return found->has_value();
}

TEST_CASE("SqliteStore: data survives close and reopen", "[storage][sqlite]") {
  TempDir dir("loyalty-storage");
  const SqliteOptions options = sqliteOptions(dir.file("loyalty.db"));
  Sale sale = makeSale("0001", 1, {saleLine(1, "a", 2, 300), saleLine(2, "b", 1, 45)});
  {
    auto store = openSqlite(options);
    Customer customer = enrol(*store, "6001");
    REQUIRE(customer.id == 1);
    const int64_t saleId = storeSale(*store, sale);
    Status status = store->write([&](StoreWriter& writer) -> Status {
      LedgerEntry entry;
      entry.customerId = customer.id;
      entry.kind = LedgerKind::kEarn;
      entry.points = Points(6);
      entry.saleId = saleId;
      Result<Points> balance = writer.appendLedger(entry);
      if (!balance.ok()) {
        return balance.error();
      }
      return writer.upsertProduct(Product{"a", "Apple", "fruit", "Orchard"});
    });
    REQUIRE(status.ok());
  }
  // Closing the last connection checkpoints the WAL into the database file.
  CHECK(std::filesystem::exists(options.path));
  CHECK_FALSE(std::filesystem::exists(options.path + "-wal"));

  auto store = openSqlite(options);
  Result<std::optional<Customer>> customer = store->findCustomer("6001");
  REQUIRE(customer.ok());
  REQUIRE(customer->has_value());
  CHECK((*customer)->balance == Points(6));
  Result<std::vector<Sale>> sales = store->salesOf(1, 10);
  REQUIRE(sales.ok());
  REQUIRE(sales->size() == 1);
  CHECK(sales->front().key == sale.key);
  CHECK(sales->front().lines.size() == 2);
  Result<std::vector<LedgerEntry>> ledger = store->ledgerOf(1);
  REQUIRE(ledger.ok());
  REQUIRE(ledger->size() == 1);
  CHECK(ledger->front().points == Points(6));
  Result<std::vector<Product>> products = store->products();
  REQUIRE(products.ok());
  REQUIRE(products->size() == 1);
  CHECK(products->front().name == "Apple");
  // New rows continue after the old ones.
  CHECK(enrol(*store, "6002").id == 2);
}

TEST_CASE("SqliteStore: user_version equals the number of migrations", "[storage][sqlite]") {
  TempDir dir("loyalty-storage");
  const std::string path = dir.file("loyalty.db");
  openSqlite(sqliteOptions(path)).reset();
  REQUIRE(sqliteSchemaVersion() >= 1);
  RawDb raw(path);
  CHECK(raw.integer("PRAGMA user_version") == sqliteSchemaVersion());
  CHECK(raw.integer("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN "
                    "('customers', 'products', 'sales', 'sale_lines', 'sale_tenders', "
                    "'refunds', 'refund_lines', 'ledger', 'habit_profiles', 'settings', "
                    "'campaigns', 'coupons', 'redemptions', 'users', 'tokens', 'audit')") == 16);
  // No table is left over from a rebuild (step 3 rebuilds customers and ledger).
  CHECK(raw.integer("SELECT count(*) FROM sqlite_schema WHERE name LIKE '%_v3'") == 0);

  // Reopening an up-to-date database changes nothing.
  openSqlite(sqliteOptions(path)).reset();
  CHECK(raw.integer("PRAGMA user_version") == sqliteSchemaVersion());
}

TEST_CASE("SqliteStore: journal mode is WAL", "[storage][sqlite]") {
  TempDir dir("loyalty-storage");
  const std::string path = dir.file("loyalty.db");
  auto store = openSqlite(sqliteOptions(path));
  RawDb raw(path);
  CHECK(raw.text("PRAGMA journal_mode") == "wal");
}

TEST_CASE("SqliteStore: a database from a newer build is refused", "[storage][sqlite]") {
  TempDir dir("loyalty-storage");
  const std::string path = dir.file("loyalty.db");
  {
    RawDb raw(path);
    const std::string sql = "PRAGMA user_version = " + std::to_string(sqliteSchemaVersion() + 1);
    raw.exec(sql.c_str());
  }
  Result<std::unique_ptr<SqliteStore>> opened = SqliteStore::open(sqliteOptions(path));
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.error().code == ErrorCode::kStorageFailure);
  CHECK_THAT(opened.error().message, Catch::Contains("newer"));
  RawDb raw(path);
  CHECK(raw.integer("PRAGMA user_version") == sqliteSchemaVersion() + 1);
}

TEST_CASE("SqliteStore: a missing directory fails cleanly", "[storage][sqlite]") {
  TempDir dir("loyalty-storage");
  const std::filesystem::path missing = std::filesystem::path(dir.path()) / "no-such-dir";
  const std::string path = (missing / "loyalty.db").string();
  Result<std::unique_ptr<SqliteStore>> opened = SqliteStore::open(sqliteOptions(path));
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.error().code == ErrorCode::kStorageFailure);
  CHECK_THAT(opened.error().message,
             Catch::Contains("no-such-dir") && Catch::Contains("does not exist"));
  CHECK_FALSE(std::filesystem::exists(missing));
}

TEST_CASE("SqliteStore: a file that is not a database fails cleanly", "[storage][sqlite]") {
  TempDir dir("loyalty-storage");
  const std::string path = dir.file("loyalty.db");
  ::loyalty::testing::writeFile(path, std::string(8192, 'x'));
  Result<std::unique_ptr<SqliteStore>> opened = SqliteStore::open(sqliteOptions(path));
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.error().code == ErrorCode::kStorageFailure);
  CHECK_THAT(opened.error().message, Catch::Contains("not a database"));
}

TEST_CASE("SqliteStore: bad options are refused", "[storage][sqlite]") {
  TempDir dir("loyalty-storage");
  SqliteOptions options = sqliteOptions(dir.file("loyalty.db"));
  SECTION("maxBatch") { options.maxBatch = 0; }
  SECTION("readConnections") { options.readConnections = 0; }
  SECTION("busyTimeoutMs") { options.busyTimeoutMs = -1; }
  SECTION("path") { options.path.clear(); }
  Result<std::unique_ptr<SqliteStore>> opened = SqliteStore::open(options);
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.error().code == ErrorCode::kValueOutOfRange);
}

TEST_CASE("SqliteStore: 8 threads of 500 concurrent writes all succeed", "[storage][sqlite]") {
  TempDir dir("loyalty-storage");
  const std::string path = dir.file("loyalty.db");
  constexpr int kThreads = 8;
  constexpr int kWritesPerThread = 500;
  constexpr uint64_t kTotal = kThreads * kWritesPerThread;
  std::vector<std::vector<Status>> results(kThreads);
  {
    auto store = openSqlite(sqliteOptions(path));  // synchronous=FULL, as in production
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&store, &results, t] {
        results[static_cast<size_t>(t)].reserve(kWritesPerThread);
        for (int i = 0; i < kWritesPerThread; ++i) {
          const std::string card = std::to_string(t) + "-" + std::to_string(i);
          results[static_cast<size_t>(t)].push_back(
              store->write([&card](StoreWriter& writer) -> Status {
                Result<Customer> customer = writer.insertCustomer(card, 1);
                if (!customer.ok()) {
                  return customer.error();
                }
                LedgerEntry entry;
                entry.customerId = customer->id;
                entry.kind = LedgerKind::kAdjustment;
                entry.points = Points(3);
                Result<Points> balance = writer.appendLedger(entry);
                return balance.ok() ? base::okStatus() : Status(balance.error());
              }));
        }
      });
    }
    for (std::thread& thread : threads) {
      thread.join();
    }
    CHECK(store->jobsForTest() == kTotal);
    CHECK(store->batchesForTest() <= store->jobsForTest());
    CHECK(hasCustomer(*store, "7-499"));
    // Every acknowledged batch went through a flush of the WAL; one flush may cover several.
    const SqliteStore::WriterStats stats = store->writerStats();
    CHECK(stats.flushes >= 1);
    CHECK(stats.flushes <= stats.batches);
  }
  size_t failures = 0;
  for (const std::vector<Status>& thread : results) {
    REQUIRE(thread.size() == static_cast<size_t>(kWritesPerThread));
    for (const Status& status : thread) {
      failures += status.ok() ? 0 : 1;
    }
  }
  CHECK(failures == 0);
  RawDb raw(path);
  CHECK(raw.integer("SELECT count(*) FROM customers") == kThreads * kWritesPerThread);
  CHECK(raw.integer("SELECT count(DISTINCT card) FROM customers") == kThreads * kWritesPerThread);
  CHECK(raw.integer("SELECT max(id) FROM customers") == kThreads * kWritesPerThread);
  CHECK(raw.integer("SELECT count(*) FROM ledger") == kThreads * kWritesPerThread);
  CHECK(raw.integer("SELECT sum(balance) FROM customers") == 3 * kThreads * kWritesPerThread);
}

TEST_CASE("SqliteStore: the WAL stays bounded under continuous writes", "[storage][sqlite]") {
  // Checkpoints run beside the writer, which 32 writing threads keep busy: without the writer's
  // own checkpoint past kRestartFrames the WAL rarely starts over (60-80 MB here, measured).
  TempDir dir("loyalty-storage");
  const std::string path = dir.file("loyalty.db");
  constexpr int kThreads = 32;
  constexpr int kWritesPerThread = 700;
  const std::string value(4000, 'v');  // a page of its own, at least, per write
  std::atomic<int> failures{0};
  SqliteStore::WriterStats stats;
  {
    auto store = openSqlite(sqliteOptions(path));
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kWritesPerThread; ++i) {
          const std::string name = "s" + std::to_string(t) + "-" + std::to_string(i);
          Status s = store->write(
              [&](StoreWriter& writer) { return writer.saveSetting(name, value, i); });
          failures += s.ok() ? 0 : 1;
        }
      });
    }
    for (std::thread& thread : threads) {
      thread.join();
    }
    stats = store->writerStats();
    // Measured before close (closing checkpoints and removes the WAL). The file keeps its
    // largest size when the WAL starts over, so this is the most it ever held.
    const auto walBytes = std::filesystem::file_size(path + "-wal");
    constexpr uintmax_t kFrameBytes = 4096 + 24;
    const uintmax_t bound =
        (SqliteStore::kRestartFrames + 3 * static_cast<uintmax_t>(sqliteOptions(path).maxBatch)) *
        kFrameBytes;
    INFO("WAL bytes " << walBytes << ", bound " << bound);
    CHECK(walBytes <= bound);
  }
  CHECK(failures == 0);
  CHECK(stats.checkpoints + stats.writerCheckpoints >= 1);
  RawDb raw(path);
  CHECK(raw.integer("SELECT count(*) FROM settings WHERE name LIKE 's%'") ==
        kThreads * kWritesPerThread);
}

TEST_CASE("SqliteStore: a failing fn does not undo the other fns of its batch",
          "[storage][sqlite]") {
  TempDir dir("loyalty-storage");
  auto store = openSqlite(sqliteOptions(dir.file("loyalty.db")));

  // Hold the writer inside a first fn until the others are all queued: they then form one batch.
  std::atomic<bool> inside{false};
  std::atomic<bool> release{false};
  Status blockerResult = base::okStatus();
  std::thread blocker([&] {
    blockerResult = store->write([&](StoreWriter& writer) -> Status {
      inside = true;
      if (!waitUntil([&] { return release.load(); })) {
        return base::makeError(ErrorCode::kTimeout, "never released");
      }
      Result<Customer> customer = writer.insertCustomer("blocker", 1);
      return customer.ok() ? base::okStatus() : Status(customer.error());
    });
  });
  REQUIRE(waitUntil([&] { return inside.load(); }));
  const uint64_t batchesBefore = store->batchesForTest();

  // Job i succeeds when i % 3 == 0, returns an error when i % 3 == 1, throws when i % 3 == 2;
  // every job first writes its customer.
  constexpr int kJobs = 24;
  std::vector<Status> results(kJobs, base::okStatus());
  std::vector<std::thread> writers;
  for (int i = 0; i < kJobs; ++i) {
    writers.emplace_back([&, i] {
      results[static_cast<size_t>(i)] = store->write([i](StoreWriter& writer) -> Status {
        Result<Customer> customer = writer.insertCustomer("job-" + std::to_string(i), 1);
        if (!customer.ok()) {
          return customer.error();
        }
        if (i % 3 == 1) {
          return base::makeError(ErrorCode::kIdempotencyConflict, "job " + std::to_string(i));
        }
        if (i % 3 == 2) {
          throw std::runtime_error("job " + std::to_string(i));
        }
        return base::okStatus();
      });
    });
  }
  const bool allQueued =
      waitUntil([&] { return store->queuedForTest() == static_cast<size_t>(kJobs); });
  release = true;
  blocker.join();
  for (std::thread& writer : writers) {
    writer.join();
  }
  REQUIRE(allQueued);
  CHECK(blockerResult.ok());
  CHECK(store->batchesForTest() == batchesBefore + 1);  // all the jobs in one transaction

  for (int i = 0; i < kJobs; ++i) {
    const Status& result = results[static_cast<size_t>(i)];
    const std::string card = "job-" + std::to_string(i);
    INFO(card);
    if (i % 3 == 0) {
      CHECK(result.ok());
      CHECK(hasCustomer(*store, card));
    } else {
      REQUIRE_FALSE(result.ok());
      CHECK(result.error().code ==
            (i % 3 == 1 ? ErrorCode::kIdempotencyConflict : ErrorCode::kInternal));
      CHECK_FALSE(hasCustomer(*store, card));
    }
  }
  CHECK(hasCustomer(*store, "blocker"));
}

TEST_CASE("SqliteStore: reads run beside a write and see committed data only",
          "[storage][sqlite]") {
  TempDir dir("loyalty-storage");
  SqliteOptions options = sqliteOptions(dir.file("loyalty.db"));
  options.readConnections = 2;
  auto store = openSqlite(options);
  enrol(*store, "6001");

  std::atomic<bool> written{false};
  std::atomic<bool> release{false};
  Status result = base::okStatus();
  std::thread writerThread([&] {
    result = store->write([&](StoreWriter& writer) -> Status {
      Result<Customer> customer = writer.insertCustomer("6002", 1);
      if (!customer.ok()) {
        return customer.error();
      }
      written = true;
      if (!waitUntil([&] { return release.load(); })) {
        return base::makeError(ErrorCode::kTimeout, "never released");
      }
      return base::okStatus();
    });
  });
  const bool wrote = waitUntil([&] { return written.load(); });
  // The writer holds an open transaction now; reads neither wait for it nor see it.
  const bool sawCommitted = wrote && hasCustomer(*store, "6001");
  const bool sawUncommitted = wrote && hasCustomer(*store, "6002");
  release = true;
  writerThread.join();
  REQUIRE(wrote);
  CHECK(sawCommitted);
  CHECK_FALSE(sawUncommitted);
  CHECK(result.ok());
  CHECK(hasCustomer(*store, "6002"));
}

TEST_CASE("SqliteStore: a batch that cannot begin fails and stores nothing", "[storage][sqlite]") {
  TempDir dir("loyalty-storage");
  SqliteOptions options = sqliteOptions(dir.file("loyalty.db"));
  options.busyTimeoutMs = 20;
  auto store = openSqlite(options);

  RawDb other(options.path);
  other.exec("BEGIN IMMEDIATE");  // another process holds the write lock
  Status blocked = enrolStatus(*store, "6001");
  other.exec("ROLLBACK");
  REQUIRE_FALSE(blocked.ok());
  CHECK(blocked.error().code == ErrorCode::kStorageFailure);
  CHECK_THAT(blocked.error().message, Catch::Contains("begin"));
  CHECK_FALSE(hasCustomer(*store, "6001"));

  // Once the lock is gone the store works again.
  CHECK(enrolStatus(*store, "6001").ok());
  CHECK(hasCustomer(*store, "6001"));
}

TEST_CASE("SqliteStore: many readers share a small pool", "[storage][sqlite]") {
  TempDir dir("loyalty-storage");
  SqliteOptions options = sqliteOptions(dir.file("loyalty.db"));
  options.readConnections = 2;
  auto store = openSqlite(options);
  enrol(*store, "6001");

  constexpr int kThreads = 6;
  constexpr int kReads = 200;
  std::atomic<int> found{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < kThreads; ++t) {
    readers.emplace_back([&] {
      for (int i = 0; i < kReads; ++i) {
        Result<std::optional<Customer>> customer = store->findCustomer("6001");
        if (customer.ok() && customer->has_value()) {
          ++found;
        }
      }
    });
  }
  for (std::thread& reader : readers) {
    reader.join();
  }
  CHECK(found.load() == kThreads * kReads);
}

}  // namespace
}  // namespace loyalty::core::storage::testing

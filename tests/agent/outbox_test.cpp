// Tests of the pos-agent's durable outbox (pos-agent/src/outbox/outbox.h).
#include "outbox/outbox.h"

#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "samples.h"
#include "support/test_support.h"

namespace loyalty::agent {
namespace {

using testing::TempDir;

OutboxPtr openOk(const std::string& path) {
  base::Result<OutboxPtr> outbox = Outbox::open(path);
  REQUIRE(outbox.ok());
  return std::move(outbox).value();
}

OutboxItem oldestOk(Outbox& outbox) {
  base::Result<std::optional<OutboxItem>> item = outbox.oldest();
  REQUIRE(item.ok());
  REQUIRE(item->has_value());
  return **item;
}

TEST_CASE("Outbox: items come out oldest first and are removed by id", "[agent][sqlite]") {
  TempDir dir{"pos-agent-test"};
  OutboxPtr outbox = openOk(dir.file("outbox.db"));

  base::Result<std::optional<OutboxItem>> empty = outbox->oldest();
  REQUIRE(empty.ok());
  CHECK_FALSE(empty->has_value());
  CHECK(outbox->pending() == 0);

  base::Result<int64_t> a = outbox->enqueue(OutboxKind::kCommit, "S/T/2024-03-15/1", "{\"a\":1}");
  base::Result<int64_t> b = outbox->enqueue(OutboxKind::kRefund, "S/T/2024-03-15/2", "{\"b\":2}");
  base::Result<int64_t> c = outbox->enqueue(OutboxKind::kCommit, "S/T/2024-03-15/3", "{\"c\":3}");
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  REQUIRE(c.ok());
  CHECK(*a < *b);
  CHECK(*b < *c);
  CHECK(outbox->pending() == 3);

  OutboxItem first = oldestOk(*outbox);
  CHECK(first.id == *a);
  CHECK(first.kind == OutboxKind::kCommit);
  CHECK(first.key == "S/T/2024-03-15/1");
  CHECK(first.body == "{\"a\":1}");
  CHECK(first.attempts == 0);
  CHECK(first.enqueuedAtMs > 0);

  REQUIRE(outbox->remove(*a).ok());
  CHECK(outbox->pending() == 2);
  OutboxItem second = oldestOk(*outbox);
  CHECK(second.id == *b);
  CHECK(second.kind == OutboxKind::kRefund);
  CHECK(second.body == "{\"b\":2}");

  // Removing an id that is gone is harmless and does not disturb the count.
  REQUIRE(outbox->remove(*a).ok());
  CHECK(outbox->pending() == 2);

  REQUIRE(outbox->remove(*b).ok());
  REQUIRE(outbox->remove(*c).ok());
  CHECK(outbox->pending() == 0);
  base::Result<std::optional<OutboxItem>> drained = outbox->oldest();
  REQUIRE(drained.ok());
  CHECK_FALSE(drained->has_value());
}

TEST_CASE("Outbox: survives close and reopen with order, attempts and counts", "[agent][sqlite]") {
  TempDir dir{"pos-agent-test"};
  std::string path = dir.file("outbox.db");
  int64_t firstId = 0;
  {
    OutboxPtr outbox = openOk(path);
    base::Result<int64_t> id = outbox->enqueue(OutboxKind::kCommit, "k1", "body one");
    REQUIRE(id.ok());
    firstId = *id;
    REQUIRE(outbox->enqueue(OutboxKind::kRefund, "k2", "body two").ok());
    REQUIRE(outbox->recordAttempt(firstId).ok());
    REQUIRE(outbox->recordAttempt(firstId).ok());
  }
  OutboxPtr reopened = openOk(path);
  CHECK(reopened->pending() == 2);
  OutboxItem first = oldestOk(*reopened);
  CHECK(first.id == firstId);
  CHECK(first.body == "body one");
  CHECK(first.attempts == 2);

  // Ids are never reused, even after the newest item was removed and the file reopened.
  REQUIRE(reopened->remove(firstId).ok());
  OutboxItem second = oldestOk(*reopened);
  REQUIRE(reopened->remove(second.id).ok());
  reopened.reset();
  OutboxPtr again = openOk(path);
  base::Result<int64_t> next = again->enqueue(OutboxKind::kCommit, "k3", "body three");
  REQUIRE(next.ok());
  CHECK(*next > second.id);
}

TEST_CASE("Outbox: dead letters keep the item and the error, apart from pending",
          "[agent][sqlite]") {
  TempDir dir{"pos-agent-test"};
  std::string path = dir.file("outbox.db");
  {
    OutboxPtr outbox = openOk(path);
    base::Result<int64_t> bad = outbox->enqueue(OutboxKind::kCommit, "bad", "refused body");
    base::Result<int64_t> good = outbox->enqueue(OutboxKind::kCommit, "good", "fine body");
    REQUIRE(bad.ok());
    REQUIRE(good.ok());
    REQUIRE(outbox->recordAttempt(*bad).ok());

    REQUIRE(outbox->deadLetter(*bad, "HTTP 409: {\"code\":\"idempotency_conflict\"}").ok());
    CHECK(outbox->pending() == 1);
    CHECK(outbox->deadLetterCount() == 1);
    CHECK(oldestOk(*outbox).id == *good);

    // An id that is not in the outbox cannot be dead-lettered, and nothing changes.
    base::Status missing = outbox->deadLetter(*bad, "again");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == base::ErrorCode::kInternal);
    CHECK(outbox->pending() == 1);
    CHECK(outbox->deadLetterCount() == 1);
  }
  OutboxPtr reopened = openOk(path);
  CHECK(reopened->pending() == 1);
  CHECK(reopened->deadLetterCount() == 1);
  base::Result<std::vector<DeadLetter>> letters = reopened->deadLetters();
  REQUIRE(letters.ok());
  REQUIRE(letters->size() == 1);
  const DeadLetter& letter = letters->front();
  CHECK(letter.item.key == "bad");
  CHECK(letter.item.body == "refused body");
  CHECK(letter.item.attempts == 1);
  CHECK(letter.error == "HTTP 409: {\"code\":\"idempotency_conflict\"}");
  CHECK(letter.deadAtMs >= letter.item.enqueuedAtMs);
}

TEST_CASE("Outbox: pending count stays exact under concurrent enqueues", "[agent][sqlite]") {
  TempDir dir{"pos-agent-test"};
  OutboxPtr outbox = openOk(dir.file("outbox.db"));
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&outbox, t] {
      for (int i = 0; i < kPerThread; ++i) {
        base::Result<int64_t> id = outbox->enqueue(OutboxKind::kCommit, "t" + std::to_string(t),
                                                   "body " + std::to_string(i));
        if (!id.ok()) {
          return;  // counted below: pending would fall short
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  CHECK(outbox->pending() == kThreads * kPerThread);
  int removed = 0;
  int64_t lastId = 0;
  for (;;) {
    base::Result<std::optional<OutboxItem>> item = outbox->oldest();
    REQUIRE(item.ok());
    if (!item->has_value()) {
      break;
    }
    CHECK((*item)->id > lastId);
    lastId = (*item)->id;
    REQUIRE(outbox->remove(lastId).ok());
    ++removed;
  }
  CHECK(removed == kThreads * kPerThread);
  CHECK(outbox->pending() == 0);
}

TEST_CASE("Outbox: uses WAL with a versioned schema and refuses a newer one", "[agent][sqlite]") {
  TempDir dir{"pos-agent-test"};
  std::string path = dir.file("outbox.db");
  openOk(path).reset();

  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  auto pragma = [db](const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    std::string value;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      value = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    return value;
  };
  CHECK(pragma("PRAGMA journal_mode") == "wal");
  CHECK(pragma("PRAGMA user_version") == std::to_string(Outbox::kSchemaVersion));
  REQUIRE(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);

  base::Result<OutboxPtr> newer = Outbox::open(path);
  REQUIRE_FALSE(newer.ok());
  CHECK(newer.error().code == base::ErrorCode::kStorageFailure);
}

TEST_CASE("Outbox: a path that cannot be opened is a storage failure", "[agent][sqlite]") {
  TempDir dir{"pos-agent-test"};
  base::Result<OutboxPtr> outbox = Outbox::open(dir.file("no-such-dir/outbox.db"));
  REQUIRE_FALSE(outbox.ok());
  CHECK(outbox.error().code == base::ErrorCode::kStorageFailure);
}

// A child process enqueues items and reports each acknowledged id on a pipe; the parent kills it
// with SIGKILL mid-stream. Every acknowledged item must be in the reopened outbox, in order.
TEST_CASE("Outbox: an acknowledged enqueue survives SIGKILL", "[agent][sqlite]") {
  TempDir dir{"pos-agent-test"};
  std::string path = dir.file("outbox.db");
  openOk(path).reset();  // schema created before the child starts

  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(fds[0]);
    base::Result<OutboxPtr> outbox = Outbox::open(path);
    if (!outbox.ok()) {
      ::_exit(2);
    }
    for (int i = 0; i < 100000; ++i) {
      base::Result<int64_t> id =
          (*outbox)->enqueue(OutboxKind::kCommit, "k" + std::to_string(i), "body");
      if (!id.ok() || ::write(fds[1], &*id, sizeof(int64_t)) != sizeof(int64_t)) {
        ::_exit(3);
      }
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  std::vector<int64_t> acknowledged;
  constexpr size_t kKillAfter = 20;
  while (acknowledged.size() < kKillAfter) {
    int64_t id = 0;
    if (::read(fds[0], &id, sizeof(id)) != static_cast<ssize_t>(sizeof(id))) {
      break;
    }
    acknowledged.push_back(id);
  }
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  // Ids the child acknowledged after the parent stopped reading are durable too.
  int64_t id = 0;
  while (::read(fds[0], &id, sizeof(id)) == static_cast<ssize_t>(sizeof(id))) {
    acknowledged.push_back(id);
  }
  ::close(fds[0]);
  REQUIRE(WIFSIGNALED(status));
  REQUIRE(acknowledged.size() >= kKillAfter);

  OutboxPtr outbox = openOk(path);
  CHECK(outbox->pending() >= static_cast<int64_t>(acknowledged.size()));
  for (int64_t expected : acknowledged) {
    OutboxItem item = oldestOk(*outbox);
    CHECK(item.id == expected);
    REQUIRE(outbox->remove(item.id).ok());
  }
}

// Runs SQL on the database file through a second connection (to inject faults or set up files).
void execSql(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* error = nullptr;
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, &error);
  std::string message = error != nullptr ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  INFO(message);
  REQUIRE(rc == SQLITE_OK);
}

std::optional<std::string> redeemedByOk(Outbox& outbox, uint64_t serial) {
  base::Result<std::optional<std::string>> by = outbox.redeemedBy(serial);
  REQUIRE(by.ok());
  return *by;
}

bool pricedOfflineOk(Outbox& outbox, const std::string& key) {
  base::Result<bool> marked = outbox.isPricedOffline(key);
  REQUIRE(marked.ok());
  return *marked;
}

TEST_CASE("Outbox: a commit's coupons are logged with it; the mark stays for replays",
          "[agent][sqlite]") {
  TempDir dir{"pos-agent-test"};
  OutboxPtr outbox = openOk(dir.file("outbox.db"));
  const std::string key = "S/T/2024-03-15/1";
  // The largest serial checks the uint64 <-> int64 round trip.
  const std::vector<CouponRedemption> coupons = {{UINT64_MAX, "2024-12-31"}, {7, "2024-12-31"}};

  REQUIRE(outbox->markPricedOffline(key).ok());
  REQUIRE(outbox->markPricedOffline(key).ok());  // idempotent
  CHECK(pricedOfflineOk(*outbox, key));
  CHECK_FALSE(redeemedByOk(*outbox, 7).has_value());

  base::Result<int64_t> id = outbox->enqueue(OutboxKind::kCommit, key, "{}", coupons);
  REQUIRE(id.ok());
  CHECK(outbox->pending() == 1);
  CHECK(redeemedByOk(*outbox, UINT64_MAX) == std::optional<std::string>(key));
  CHECK(redeemedByOk(*outbox, 7) == std::optional<std::string>(key));
  CHECK_FALSE(redeemedByOk(*outbox, 8).has_value());
  CHECK(pricedOfflineOk(*outbox, key));  // a replayed commit must say the same

  // A serial keeps the first transaction that redeemed it.
  REQUIRE(outbox->enqueue(OutboxKind::kCommit, "S/T/2024-03-15/2", "{}", {{7, "2024-12-31"}}).ok());
  CHECK(redeemedByOk(*outbox, 7) == std::optional<std::string>(key));
  CHECK(outbox->pending() == 2);
}

TEST_CASE("Outbox: a failed enqueue records no coupon, a failed coupon stores no item",
          "[agent][sqlite]") {
  TempDir dir{"pos-agent-test"};
  std::string path = dir.file("outbox.db");
  OutboxPtr outbox = openOk(path);
  const std::string key = "S/T/2024-03-15/1";
  REQUIRE(outbox->markPricedOffline(key).ok());

  SECTION("the item cannot be stored") {
    execSql(path,
            "CREATE TRIGGER fail_item BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'x'); END");
  }
  SECTION("a coupon cannot be recorded") {
    execSql(path,
            "CREATE TRIGGER fail_coupon BEFORE INSERT ON coupon_redemptions "
            "BEGIN SELECT RAISE(ABORT, 'x'); END");
  }
  base::Result<int64_t> id = outbox->enqueue(OutboxKind::kCommit, key, "{}", {{11, "2024-12-31"}});
  REQUIRE_FALSE(id.ok());
  CHECK(id.error().code == base::ErrorCode::kStorageFailure);
  CHECK(outbox->pending() == 0);
  base::Result<std::optional<OutboxItem>> oldest = outbox->oldest();
  REQUIRE(oldest.ok());
  CHECK_FALSE(oldest->has_value());
  CHECK_FALSE(redeemedByOk(*outbox, 11).has_value());
  CHECK(pricedOfflineOk(*outbox, key));  // still priced offline: nothing was stored
}

TEST_CASE("Outbox: the offline coupon state survives reopen", "[agent][sqlite]") {
  TempDir dir{"pos-agent-test"};
  std::string path = dir.file("outbox.db");
  {
    OutboxPtr outbox = openOk(path);
    base::Result<std::optional<std::string>> none = outbox->savedOffers();
    REQUIRE(none.ok());
    CHECK_FALSE(none->has_value());
    REQUIRE(outbox->saveOffers("{\"offers\":[1]}").ok());
    REQUIRE(outbox->saveOffers("{\"offers\":[]}").ok());  // replaces
    REQUIRE(outbox->markPricedOffline("S/T/2024-03-15/1").ok());
    REQUIRE(outbox->markPricedOffline("S/T/2024-03-15/2").ok());
    REQUIRE(outbox->clearPricedOffline("S/T/2024-03-15/2").ok());
    REQUIRE(outbox->clearPricedOffline("S/T/2024-03-15/9").ok());  // absent: fine
    REQUIRE(outbox->recordRedemptions("S/T/2024-03-15/3", {{42, "2099-01-01"}}).ok());
  }
  OutboxPtr outbox = openOk(path);
  base::Result<std::optional<std::string>> offers = outbox->savedOffers();
  REQUIRE(offers.ok());
  CHECK(*offers == std::optional<std::string>("{\"offers\":[]}"));
  CHECK(pricedOfflineOk(*outbox, "S/T/2024-03-15/1"));
  CHECK_FALSE(pricedOfflineOk(*outbox, "S/T/2024-03-15/2"));
  CHECK(redeemedByOk(*outbox, 42) == std::optional<std::string>("S/T/2024-03-15/3"));
  CHECK(outbox->pending() == 0);  // recordRedemptions queues nothing
}

TEST_CASE("Outbox: old priced-offline marks are cleaned up at open, redemptions are kept",
          "[agent][sqlite]") {
  TempDir dir{"pos-agent-test"};
  std::string path = dir.file("outbox.db");
  {
    OutboxPtr outbox = openOk(path);
    REQUIRE(outbox->markPricedOffline("old").ok());
    REQUIRE(outbox->markPricedOffline("new").ok());
    REQUIRE(outbox->recordRedemptions("a", {{1, "2001-01-01"}, {2, "2999-12-31"}}).ok());
  }
  execSql(path, "UPDATE priced_offline SET priced_at_ms = 0 WHERE key = 'old'");
  OutboxPtr outbox = openOk(path);
  CHECK_FALSE(pricedOfflineOk(*outbox, "old"));
  CHECK(pricedOfflineOk(*outbox, "new"));
  CHECK(redeemedByOk(*outbox, 1).has_value());
  CHECK(redeemedByOk(*outbox, 2).has_value());
}

TEST_CASE("Outbox: a version 1 file is migrated and keeps its items", "[agent][sqlite]") {
  TempDir dir{"pos-agent-test"};
  std::string path = dir.file("outbox.db");
  execSql(path,
          "CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL CHECK "
          "(kind IN ('commit', 'refund')), key TEXT NOT NULL, body TEXT NOT NULL, enqueued_at_ms "
          "INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0);"
          "CREATE TABLE dead_letters (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, key TEXT NOT "
          "NULL, body TEXT NOT NULL, enqueued_at_ms INTEGER NOT NULL, attempts INTEGER NOT NULL, "
          "error TEXT NOT NULL, dead_at_ms INTEGER NOT NULL);"
          "INSERT INTO outbox (kind, key, body, enqueued_at_ms) VALUES ('commit', 'k1', 'b1', 5);"
          "PRAGMA user_version = 1;");
  OutboxPtr outbox = openOk(path);
  CHECK(outbox->pending() == 1);
  OutboxItem item = oldestOk(*outbox);
  CHECK(item.key == "k1");
  CHECK(item.body == "b1");
  REQUIRE(outbox->recordRedemptions("k2", {{5, "2099-01-01"}}).ok());
  CHECK(redeemedByOk(*outbox, 5).has_value());
  REQUIRE(outbox->saveOffers("{}").ok());
}

TEST_CASE("Outbox: items keep their lane; itemsAfter reads the next ones in id order",
          "[agent][sqlite]") {
  TempDir dir{"pos-agent-test"};
  std::string path = dir.file("outbox.db");
  std::vector<int64_t> ids;
  {
    OutboxPtr outbox = openOk(path);
    for (const char* lane : {"9000000000011", "", "9000000000029", "9000000000011"}) {
      base::Result<int64_t> id =
          outbox->enqueue(OutboxKind::kCommit, "k" + std::to_string(ids.size()), "b", {}, lane);
      REQUIRE(id.ok());
      ids.push_back(*id);
    }
    base::Result<int64_t> noLane = outbox->enqueue(OutboxKind::kRefund, "k4", "b");
    REQUIRE(noLane.ok());
    ids.push_back(*noLane);
  }
  OutboxPtr outbox = openOk(path);  // the lanes survive a reopen
  base::Result<std::vector<OutboxItem>> first = outbox->itemsAfter(0, 3);
  REQUIRE(first.ok());
  REQUIRE(first->size() == 3);
  CHECK((*first)[0].id == ids[0]);
  CHECK((*first)[0].lane == "9000000000011");
  CHECK((*first)[1].lane.empty());
  CHECK((*first)[2].lane == "9000000000029");
  CHECK((*first)[2].key == "k2");

  base::Result<std::vector<OutboxItem>> rest = outbox->itemsAfter((*first)[2].id, 10);
  REQUIRE(rest.ok());
  REQUIRE(rest->size() == 2);
  CHECK((*rest)[0].id == ids[3]);
  CHECK((*rest)[0].lane == "9000000000011");
  CHECK((*rest)[1].id == ids[4]);
  CHECK((*rest)[1].kind == OutboxKind::kRefund);
  CHECK((*rest)[1].lane.empty());
  CHECK(oldestOk(*outbox).lane == "9000000000011");

  base::Result<std::vector<OutboxItem>> none = outbox->itemsAfter(ids[4], 10);
  REQUIRE(none.ok());
  CHECK(none->empty());
}

TEST_CASE("Outbox: a batch of ids is removed in one transaction, all or none",
          "[agent][sqlite]") {
  TempDir dir{"pos-agent-test"};
  std::string path = dir.file("outbox.db");
  OutboxPtr outbox = openOk(path);
  std::vector<int64_t> ids;
  for (int i = 0; i < 6; ++i) {
    base::Result<int64_t> id = outbox->enqueue(OutboxKind::kCommit, "k" + std::to_string(i), "b");
    REQUIRE(id.ok());
    ids.push_back(*id);
  }
  // Ids 2 and 4 go, plus one that is not there; the count follows what was deleted.
  REQUIRE(outbox->remove(std::vector<int64_t>{ids[1], ids[3], 9999}).ok());
  CHECK(outbox->pending() == 4);
  REQUIRE(outbox->remove(std::vector<int64_t>{}).ok());
  CHECK(outbox->pending() == 4);

  // A delete that fails in the middle of a batch deletes nothing.
  execSql(path, ("CREATE TRIGGER keep_one BEFORE DELETE ON outbox WHEN old.id = " +
                 std::to_string(ids[4]) + " BEGIN SELECT RAISE(ABORT, 'kept'); END")
                    .c_str());
  base::Status failed = outbox->remove(std::vector<int64_t>{ids[0], ids[4], ids[5]});
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().code == base::ErrorCode::kStorageFailure);
  CHECK(outbox->pending() == 4);
  base::Result<std::vector<OutboxItem>> left = outbox->itemsAfter(0, 10);
  REQUIRE(left.ok());
  std::vector<int64_t> leftIds;
  for (const OutboxItem& item : *left) {
    leftIds.push_back(item.id);
  }
  CHECK(leftIds == std::vector<int64_t>{ids[0], ids[2], ids[4], ids[5]});

  REQUIRE(outbox->remove(std::vector<int64_t>{ids[0], ids[2], ids[5]}).ok());
  CHECK(outbox->pending() == 1);
}

TEST_CASE("Outbox: a version 2 file is migrated; its queued items have no lane",
          "[agent][sqlite]") {
  TempDir dir{"pos-agent-test"};
  std::string path = dir.file("outbox.db");
  {
    OutboxPtr outbox = openOk(path);
    REQUIRE(outbox->enqueue(OutboxKind::kCommit, "k1", "b1", {}, "9000000000011").ok());
  }
  // Back to what a version 2 agent wrote: no lane column.
  execSql(path,
          "ALTER TABLE outbox DROP COLUMN lane; DELETE FROM outbox;"
          "INSERT INTO outbox (kind, key, body, enqueued_at_ms) VALUES ('commit', 'old', 'b', 5);"
          "PRAGMA user_version = 2;");
  OutboxPtr outbox = openOk(path);
  CHECK(outbox->pending() == 1);
  OutboxItem old = oldestOk(*outbox);
  CHECK(old.key == "old");
  CHECK(old.lane.empty());
  REQUIRE(outbox->enqueue(OutboxKind::kCommit, "new", "b", {}, "9000000000011").ok());
  base::Result<std::vector<OutboxItem>> items = outbox->itemsAfter(old.id, 10);
  REQUIRE(items.ok());
  REQUIRE(items->size() == 1);
  CHECK(items->front().lane == "9000000000011");
}

}  // namespace
}  // namespace loyalty::agent

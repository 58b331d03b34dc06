#include "outbox/outbox.h"

#include <Poco/Logger.h>
#include <sqlite3.h>

#include <chrono>
#include <utility>

namespace loyalty::agent {

namespace {

using base::ErrorCode;
using base::makeError;

constexpr int kBusyTimeoutMs = 5000;

// Version 1: the queue and its dead letters.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE IF NOT EXISTS outbox (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  kind           TEXT    NOT NULL CHECK (kind IN ('commit', 'refund')),
  key            TEXT    NOT NULL,
  body           TEXT    NOT NULL,
  enqueued_at_ms INTEGER NOT NULL,
  attempts       INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS dead_letters (
  id             INTEGER PRIMARY KEY,
  kind           TEXT    NOT NULL,
  key            TEXT    NOT NULL,
  body           TEXT    NOT NULL,
  enqueued_at_ms INTEGER NOT NULL,
  attempts       INTEGER NOT NULL,
  error          TEXT    NOT NULL,
  dead_at_ms     INTEGER NOT NULL
);
)sql";

// Version 2: offline coupons. A serial is a uint64 stored as the int64 of the same bits.
constexpr const char* kSchemaV2 = R"sql(
CREATE TABLE IF NOT EXISTS coupon_redemptions (
  serial         INTEGER PRIMARY KEY,
  expires        TEXT    NOT NULL,
  key            TEXT    NOT NULL,
  recorded_at_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS priced_offline (
  key            TEXT    PRIMARY KEY,
  priced_at_ms   INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS offers_cache (
  id             INTEGER PRIMARY KEY CHECK (id = 1),
  body           TEXT    NOT NULL,
  fetched_at_ms  INTEGER NOT NULL
);
PRAGMA user_version = 2;
)sql";

// Version 3: the delivery lane of each item (NULL: none, delivered alone).
constexpr const char* kSchemaV3 = R"sql(
ALTER TABLE outbox ADD COLUMN lane TEXT;
PRAGMA user_version = 3;
)sql";

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Poco::Logger& logger() { return Poco::Logger::get("loyalty.agent.outbox"); }

// Resets a cached statement when leaving a scope, so it never holds a read transaction open.
class StatementScope {
 public:
  explicit StatementScope(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~StatementScope() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  StatementScope(const StatementScope&) = delete;
  StatementScope& operator=(const StatementScope&) = delete;

 private:
  sqlite3_stmt* const stmt_;
};

int bindText(sqlite3_stmt* stmt, int index, std::string_view text) {
  return sqlite3_bind_text64(stmt, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

std::string columnText(sqlite3_stmt* stmt, int column) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
  if (text == nullptr) {
    return std::string();
  }
  return std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt, column)));
}

std::optional<OutboxKind> kindFromName(std::string_view name) {
  if (name == "commit") {
    return OutboxKind::kCommit;
  }
  if (name == "refund") {
    return OutboxKind::kRefund;
  }
  return std::nullopt;
}

// Reads columns id, kind, key, body, enqueued_at_ms, attempts starting at column 0.
base::Result<OutboxItem> readItem(sqlite3_stmt* stmt) {
  OutboxItem item;
  item.id = sqlite3_column_int64(stmt, 0);
  std::optional<OutboxKind> kind = kindFromName(columnText(stmt, 1));
  if (!kind) {
    return makeError(ErrorCode::kStorageFailure,
                     "outbox item " + std::to_string(item.id) + " has an unknown kind");
  }
  item.kind = *kind;
  item.key = columnText(stmt, 2);
  item.body = columnText(stmt, 3);
  item.enqueuedAtMs = sqlite3_column_int64(stmt, 4);
  item.attempts = sqlite3_column_int64(stmt, 5);
  return item;
}

// readItem() of a queued item's row, whose column 6 is the lane.
base::Result<OutboxItem> readQueuedItem(sqlite3_stmt* stmt) {
  base::Result<OutboxItem> item = readItem(stmt);
  if (item.ok()) {
    item->lane = columnText(stmt, 6);
  }
  return item;
}

}  // namespace

std::string_view outboxKindName(OutboxKind kind) {
  switch (kind) {
    case OutboxKind::kCommit:
      return "commit";
    case OutboxKind::kRefund:
      return "refund";
  }
  return "commit";
}

Outbox::Outbox(sqlite3* db) : db_(db) {}

Outbox::~Outbox() {
  for (sqlite3_stmt* stmt :
       {insert_, selectOldest_, selectAfter_, delete_, bumpAttempts_, copyToDead_,
        insertRedemption_, selectRedemption_, insertMark_, selectMark_, deleteMark_}) {
    sqlite3_finalize(stmt);  // no-op on nullptr
  }
  if (db_ != nullptr && sqlite3_close(db_) != SQLITE_OK) {
    poco_error(logger(), std::string("closing the outbox failed: ") + sqlite3_errmsg(db_));
  }
}

base::Error Outbox::storageError(const char* what) const {
  return makeError(ErrorCode::kStorageFailure,
                   std::string("outbox: ") + what + ": " + sqlite3_errmsg(db_));
}

template <typename Fn>
base::Status Outbox::inTransaction(Fn&& fn) {
  if (sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return storageError("cannot begin a transaction");
  }
  base::Status done = fn();
  if (done.ok() && sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    done = storageError("cannot commit a transaction");
  }
  if (!done.ok()) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  return done;
}

template <typename Bind>
base::Status Outbox::execute(sqlite3_stmt* stmt, const char* what, Bind&& bind) {
  StatementScope scope(stmt);
  if (!bind(stmt)) {
    return storageError(what);
  }
  if (sqlite3_step(stmt) != SQLITE_DONE) {
    return storageError(what);
  }
  return base::okStatus();
}

base::Result<std::unique_ptr<Outbox>> Outbox::open(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  // The Outbox owns db from here on, even when opening failed (sqlite3_close frees it).
  std::unique_ptr<Outbox> outbox(new Outbox(db));
  if (rc != SQLITE_OK) {
    return makeError(ErrorCode::kStorageFailure,
                     "outbox: cannot open " + path + ": " +
                         (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
  }
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  sqlite3_extended_result_codes(db, 1);

  // WAL + synchronous=FULL: a committed transaction is fsync'd before sqlite3_step returns.
  {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &stmt, nullptr) != SQLITE_OK) {
      return outbox->storageError("cannot set journal_mode");
    }
    std::string mode;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
      mode = columnText(stmt, 0);
    }
    sqlite3_finalize(stmt);
    if (mode != "wal") {
      return makeError(ErrorCode::kStorageFailure,
                       "outbox: " + path + " cannot use WAL journaling (got '" + mode + "')");
    }
  }
  if (sqlite3_exec(db, "PRAGMA synchronous=FULL", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return outbox->storageError("cannot set synchronous=FULL");
  }

  // Schema: create or check, in one write transaction so that two openers cannot race.
  if (sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return outbox->storageError("cannot lock the database");
  }
  int version = -1;
  {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      version = sqlite3_column_int(stmt, 0);
    }
    sqlite3_finalize(stmt);
  }
  base::Status schema = base::okStatus();
  if (version < 0) {
    schema = outbox->storageError("cannot read the schema version");
  } else if (version > kSchemaVersion) {
    schema = makeError(ErrorCode::kStorageFailure,
                       "outbox: " + path + " has schema version " + std::to_string(version) +
                           ", newer than this agent's " + std::to_string(kSchemaVersion));
  } else if (version == 0 && sqlite3_exec(db, kSchemaV1, nullptr, nullptr, nullptr) != SQLITE_OK) {
    schema = outbox->storageError("cannot create the schema");
  } else if (version < 2 && sqlite3_exec(db, kSchemaV2, nullptr, nullptr, nullptr) != SQLITE_OK) {
    schema = outbox->storageError("cannot migrate the schema to version 2");
  } else if (version < 3 && sqlite3_exec(db, kSchemaV3, nullptr, nullptr, nullptr) != SQLITE_OK) {
    schema = outbox->storageError("cannot migrate the schema to version 3");
  }
  if (!schema.ok()) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    return schema.error();
  }
  if (sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    base::Error error = outbox->storageError("cannot commit the schema");
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    return error;
  }

  base::Status prepared = outbox->prepareStatements();
  if (!prepared.ok()) {
    return prepared.error();
  }
  base::Status counted = outbox->loadCounts();
  if (!counted.ok()) {
    return counted.error();
  }
  base::Status cleaned = outbox->housekeeping();
  if (!cleaned.ok()) {
    // Only old rows stay longer: not a reason to refuse to start.
    poco_warning(logger(), cleaned.error().message);
  }
  poco_information(logger(), "outbox " + path + " open: " + std::to_string(outbox->pending()) +
                                 " pending, " + std::to_string(outbox->deadLetterCount()) +
                                 " dead letters");
  return outbox;
}

base::Status Outbox::prepareStatements() {
  struct Spec {
    sqlite3_stmt** stmt;
    const char* sql;
  };
  const Spec specs[] = {
      {&insert_,
       "INSERT INTO outbox (kind, key, body, enqueued_at_ms, attempts, lane)"
       " VALUES (?1, ?2, ?3, ?4, 0, ?5)"},
      {&selectOldest_,
       "SELECT id, kind, key, body, enqueued_at_ms, attempts, lane FROM outbox"
       " ORDER BY id LIMIT 1"},
      {&selectAfter_,
       "SELECT id, kind, key, body, enqueued_at_ms, attempts, lane FROM outbox WHERE id > ?1"
       " ORDER BY id LIMIT ?2"},
      {&delete_, "DELETE FROM outbox WHERE id = ?1"},
      {&bumpAttempts_, "UPDATE outbox SET attempts = attempts + 1 WHERE id = ?1"},
      {&copyToDead_,
       "INSERT INTO dead_letters (id, kind, key, body, enqueued_at_ms, attempts, error, dead_at_ms)"
       " SELECT id, kind, key, body, enqueued_at_ms, attempts, ?2, ?3 FROM outbox WHERE id = ?1"},
      {&insertRedemption_,
       "INSERT OR IGNORE INTO coupon_redemptions (serial, expires, key, recorded_at_ms)"
       " VALUES (?1, ?2, ?3, ?4)"},
      {&selectRedemption_, "SELECT key FROM coupon_redemptions WHERE serial = ?1"},
      {&insertMark_, "INSERT OR IGNORE INTO priced_offline (key, priced_at_ms) VALUES (?1, ?2)"},
      {&selectMark_, "SELECT 1 FROM priced_offline WHERE key = ?1"},
      {&deleteMark_, "DELETE FROM priced_offline WHERE key = ?1"},
  };
  for (const Spec& spec : specs) {
    if (sqlite3_prepare_v3(db_, spec.sql, -1, SQLITE_PREPARE_PERSISTENT, spec.stmt, nullptr) !=
        SQLITE_OK) {
      return storageError("cannot prepare a statement");
    }
  }
  return base::okStatus();
}

base::Status Outbox::loadCounts() {
  for (auto [sql, counter] : {std::pair{"SELECT count(*) FROM outbox", &pending_},
                              std::pair{"SELECT count(*) FROM dead_letters", &deadLetterCount_}}) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr) != SQLITE_OK) {
      return storageError("cannot count items");
    }
    if (sqlite3_step(stmt) != SQLITE_ROW) {
      base::Error error = storageError("cannot count items");
      sqlite3_finalize(stmt);
      return error;
    }
    counter->store(sqlite3_column_int64(stmt, 0));
    sqlite3_finalize(stmt);
  }
  return base::okStatus();
}

base::Result<int64_t> Outbox::enqueue(OutboxKind kind, std::string_view key,
                                      std::string_view body) {
  return enqueue(kind, key, body, {});
}

base::Result<int64_t> Outbox::enqueue(OutboxKind kind, std::string_view key, std::string_view body,
                                      const std::vector<CouponRedemption>& redemptions,
                                      std::string_view lane) {
  std::lock_guard<std::mutex> lock(mutex_);
  int64_t id = 0;
  base::Status stored = inTransaction([&]() -> base::Status {
    base::Status inserted = execute(insert_, "cannot store an item", [&](sqlite3_stmt* stmt) {
      return bindText(stmt, 1, outboxKindName(kind)) == SQLITE_OK &&
             bindText(stmt, 2, key) == SQLITE_OK && bindText(stmt, 3, body) == SQLITE_OK &&
             sqlite3_bind_int64(stmt, 4, nowMs()) == SQLITE_OK &&
             (lane.empty() ? sqlite3_bind_null(stmt, 5) : bindText(stmt, 5, lane)) == SQLITE_OK;
    });
    if (!inserted.ok()) {
      return inserted;
    }
    id = sqlite3_last_insert_rowid(db_);
    return storeRedemptions(key, redemptions);
  });
  if (!stored.ok()) {
    return stored.error();
  }
  pending_.fetch_add(1);
  return id;
}

base::Status Outbox::storeRedemptions(std::string_view key,
                                      const std::vector<CouponRedemption>& redemptions) {
  const int64_t now = nowMs();
  for (const CouponRedemption& redemption : redemptions) {
    base::Status stored =
        execute(insertRedemption_, "cannot record a coupon redemption", [&](sqlite3_stmt* stmt) {
          return sqlite3_bind_int64(stmt, 1, static_cast<int64_t>(redemption.serial)) ==
                     SQLITE_OK &&
                 bindText(stmt, 2, redemption.expires) == SQLITE_OK &&
                 bindText(stmt, 3, key) == SQLITE_OK &&
                 sqlite3_bind_int64(stmt, 4, now) == SQLITE_OK;
        });
    if (!stored.ok()) {
      return stored;
    }
  }
  return base::okStatus();
}

base::Status Outbox::recordRedemptions(std::string_view key,
                                       const std::vector<CouponRedemption>& redemptions) {
  if (redemptions.empty()) {
    return base::okStatus();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  return inTransaction([&] { return storeRedemptions(key, redemptions); });
}

base::Result<std::optional<std::string>> Outbox::redeemedBy(uint64_t serial) {
  std::lock_guard<std::mutex> lock(mutex_);
  StatementScope scope(selectRedemption_);
  sqlite3_bind_int64(selectRedemption_, 1, static_cast<int64_t>(serial));
  int rc = sqlite3_step(selectRedemption_);
  if (rc == SQLITE_DONE) {
    return std::optional<std::string>();
  }
  if (rc != SQLITE_ROW) {
    return storageError("cannot read the redemption log");
  }
  return std::optional<std::string>(columnText(selectRedemption_, 0));
}

base::Status Outbox::markPricedOffline(std::string_view key) {
  std::lock_guard<std::mutex> lock(mutex_);
  return execute(insertMark_, "cannot mark a transaction priced offline", [&](sqlite3_stmt* stmt) {
    return bindText(stmt, 1, key) == SQLITE_OK && sqlite3_bind_int64(stmt, 2, nowMs()) == SQLITE_OK;
  });
}

base::Result<bool> Outbox::isPricedOffline(std::string_view key) {
  std::lock_guard<std::mutex> lock(mutex_);
  StatementScope scope(selectMark_);
  if (bindText(selectMark_, 1, key) != SQLITE_OK) {
    return storageError("cannot read a priced-offline mark");
  }
  int rc = sqlite3_step(selectMark_);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    return storageError("cannot read a priced-offline mark");
  }
  return rc == SQLITE_ROW;
}

base::Status Outbox::clearPricedOffline(std::string_view key) {
  std::lock_guard<std::mutex> lock(mutex_);
  return execute(deleteMark_, "cannot clear a priced-offline mark",
                 [&](sqlite3_stmt* stmt) { return bindText(stmt, 1, key) == SQLITE_OK; });
}

base::Status Outbox::saveOffers(std::string_view body) {
  std::lock_guard<std::mutex> lock(mutex_);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_,
                         "INSERT OR REPLACE INTO offers_cache (id, body, fetched_at_ms)"
                         " VALUES (1, ?1, ?2)",
                         -1, &stmt, nullptr) != SQLITE_OK) {
    return storageError("cannot store the offers");
  }
  base::Status saved = execute(stmt, "cannot store the offers", [&](sqlite3_stmt* s) {
    return bindText(s, 1, body) == SQLITE_OK && sqlite3_bind_int64(s, 2, nowMs()) == SQLITE_OK;
  });
  sqlite3_finalize(stmt);
  return saved;
}

base::Result<std::optional<std::string>> Outbox::savedOffers() {
  std::lock_guard<std::mutex> lock(mutex_);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, "SELECT body FROM offers_cache WHERE id = 1", -1, &stmt, nullptr) !=
      SQLITE_OK) {
    return storageError("cannot read the offers");
  }
  int rc = sqlite3_step(stmt);
  std::optional<std::string> body;
  if (rc == SQLITE_ROW) {
    body = columnText(stmt, 0);
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    base::Error error = storageError("cannot read the offers");
    sqlite3_finalize(stmt);
    return error;
  }
  sqlite3_finalize(stmt);
  return body;
}

base::Status Outbox::housekeeping() {
  std::lock_guard<std::mutex> lock(mutex_);
  const int64_t cutoffMs = nowMs() - int64_t{kMarkRetentionDays} * 24 * 3600 * 1000;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, "DELETE FROM priced_offline WHERE priced_at_ms < ?1", -1, &stmt,
                         nullptr) != SQLITE_OK) {
    return storageError("cannot clean up priced-offline marks");
  }
  base::Status cleaned =
      execute(stmt, "cannot clean up priced-offline marks",
              [&](sqlite3_stmt* s) { return sqlite3_bind_int64(s, 1, cutoffMs) == SQLITE_OK; });
  sqlite3_finalize(stmt);
  return cleaned;
}

base::Result<std::optional<OutboxItem>> Outbox::oldest() {
  std::lock_guard<std::mutex> lock(mutex_);
  StatementScope scope(selectOldest_);
  int rc = sqlite3_step(selectOldest_);
  if (rc == SQLITE_DONE) {
    return std::optional<OutboxItem>();
  }
  if (rc != SQLITE_ROW) {
    return storageError("cannot read the oldest item");
  }
  base::Result<OutboxItem> item = readQueuedItem(selectOldest_);
  if (!item.ok()) {
    return item.error();
  }
  return std::optional<OutboxItem>(std::move(item).value());
}

base::Result<std::vector<OutboxItem>> Outbox::itemsAfter(int64_t afterId, size_t limit) {
  std::lock_guard<std::mutex> lock(mutex_);
  StatementScope scope(selectAfter_);
  sqlite3_bind_int64(selectAfter_, 1, afterId);
  sqlite3_bind_int64(selectAfter_, 2, static_cast<int64_t>(limit));
  std::vector<OutboxItem> items;
  int rc = SQLITE_OK;
  while ((rc = sqlite3_step(selectAfter_)) == SQLITE_ROW) {
    base::Result<OutboxItem> item = readQueuedItem(selectAfter_);
    if (!item.ok()) {
      return item.error();
    }
    items.push_back(std::move(item).value());
  }
  if (rc != SQLITE_DONE) {
    return storageError("cannot read the next items");
  }
  return items;
}

base::Status Outbox::remove(int64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  StatementScope scope(delete_);
  sqlite3_bind_int64(delete_, 1, id);
  if (sqlite3_step(delete_) != SQLITE_DONE) {
    return storageError("cannot delete an item");
  }
  pending_.fetch_sub(sqlite3_changes(db_));
  return base::okStatus();
}

base::Status Outbox::remove(const std::vector<int64_t>& ids) {
  if (ids.empty()) {
    return base::okStatus();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  int64_t removed = 0;
  base::Status done = inTransaction([&]() -> base::Status {
    for (int64_t id : ids) {
      base::Status deleted = execute(delete_, "cannot delete an item", [&](sqlite3_stmt* stmt) {
        return sqlite3_bind_int64(stmt, 1, id) == SQLITE_OK;
      });
      if (!deleted.ok()) {
        return deleted;
      }
      removed += sqlite3_changes(db_);
    }
    return base::okStatus();
  });
  if (!done.ok()) {
    return done;
  }
  pending_.fetch_sub(removed);
  return base::okStatus();
}

base::Status Outbox::recordAttempt(int64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  StatementScope scope(bumpAttempts_);
  sqlite3_bind_int64(bumpAttempts_, 1, id);
  if (sqlite3_step(bumpAttempts_) != SQLITE_DONE) {
    return storageError("cannot count an attempt");
  }
  return base::okStatus();
}

base::Status Outbox::deadLetter(int64_t id, std::string_view error) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return storageError("cannot begin a transaction");
  }
  auto rollback = [this](base::Error e) -> base::Status {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return e;
  };
  {
    StatementScope scope(copyToDead_);
    sqlite3_bind_int64(copyToDead_, 1, id);
    bindText(copyToDead_, 2, error);
    sqlite3_bind_int64(copyToDead_, 3, nowMs());
    if (sqlite3_step(copyToDead_) != SQLITE_DONE) {
      return rollback(storageError("cannot store a dead letter"));
    }
    if (sqlite3_changes(db_) != 1) {
      return rollback(makeError(ErrorCode::kInternal,
                                "outbox: no item " + std::to_string(id) + " to dead-letter"));
    }
  }
  {
    StatementScope scope(delete_);
    sqlite3_bind_int64(delete_, 1, id);
    if (sqlite3_step(delete_) != SQLITE_DONE) {
      return rollback(storageError("cannot delete a dead-lettered item"));
    }
  }
  if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return rollback(storageError("cannot commit a dead letter"));
  }
  pending_.fetch_sub(1);
  deadLetterCount_.fetch_add(1);
  return base::okStatus();
}

base::Result<std::vector<DeadLetter>> Outbox::deadLetters() {
  std::lock_guard<std::mutex> lock(mutex_);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_,
                         "SELECT id, kind, key, body, enqueued_at_ms, attempts, error, dead_at_ms"
                         " FROM dead_letters ORDER BY dead_at_ms, id",
                         -1, &stmt, nullptr) != SQLITE_OK) {
    return storageError("cannot list dead letters");
  }
  std::vector<DeadLetter> letters;
  int rc = SQLITE_OK;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    base::Result<OutboxItem> item = readItem(stmt);
    if (!item.ok()) {
      sqlite3_finalize(stmt);
      return item.error();
    }
    letters.push_back(
        DeadLetter{std::move(item).value(), columnText(stmt, 6), sqlite3_column_int64(stmt, 7)});
  }
  if (rc != SQLITE_DONE) {
    base::Error error = storageError("cannot list dead letters");
    sqlite3_finalize(stmt);
    return error;
  }
  sqlite3_finalize(stmt);
  return letters;
}

}  // namespace loyalty::agent

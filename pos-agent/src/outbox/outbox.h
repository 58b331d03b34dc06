// Outbox: the pos-agent's durable queue of commits and refunds that the loyalty-core has not yet
// accepted (design.md section 3, "Offline").
//
// Storage is one small SQLite file (sqlite3 C API) in WAL mode with synchronous=FULL: when
// enqueue() returns, the item survives a crash of the process or of the machine. Items are removed
// only after the core accepted them (remove()) or refused them for good (deadLetter(), which moves
// the item and the core's error into the dead_letters table for an operator). The schema version
// is kept in PRAGMA user_version.
//
// Invariants:
//   1. Ids grow strictly with enqueue order (AUTOINCREMENT: an id is never reused), so oldest()
//      returns items in the order they were enqueued.
//   2. pending() equals the number of rows in table outbox; deadLetterCount() the number of rows
//      in dead_letters (both cached, updated under the mutex after each successful change).
//
// Thread safety: all methods are thread-safe (one mutex around the connection); pending() and
// deadLetterCount() are lock-free reads of the cached counts.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "loyalty/base/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace loyalty::agent {

enum class OutboxKind { kCommit, kRefund };

// "commit" or "refund": the value stored in column kind.
std::string_view outboxKindName(OutboxKind kind);

struct OutboxItem {
  int64_t id = 0;
  OutboxKind kind = OutboxKind::kCommit;
  std::string key;   // the idempotency key, "store/terminal/business_date/txn" (no card number)
  std::string body;  // the request body exactly as the POS sent it
  int64_t enqueuedAtMs = 0;  // system clock, milliseconds since the Unix epoch
  int64_t attempts = 0;      // failed delivery attempts so far
};

struct DeadLetter {
  OutboxItem item;
  std::string error;  // why the core refused it: HTTP status and its problem+json body
  int64_t deadAtMs = 0;
};

class Outbox {
 public:
  // The current schema version (PRAGMA user_version).
  static constexpr int kSchemaVersion = 1;

  // Opens (creating if needed) the outbox database at path. A database written by a newer agent
  // (higher user_version) is refused.
  // Errors: kStorageFailure.
  static base::Result<std::unique_ptr<Outbox>> open(const std::string& path);

  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Appends an item; durable (fsync'd) when this returns ok. Returns the new item's id.
  // Errors: kStorageFailure.
  base::Result<int64_t> enqueue(OutboxKind kind, std::string_view key, std::string_view body);

  // The item with the smallest id, or nullopt when the outbox is empty.
  // Errors: kStorageFailure.
  base::Result<std::optional<OutboxItem>> oldest();

  // Deletes an item (the core accepted it). Removing an id that is not there is not an error.
  // Errors: kStorageFailure.
  base::Status remove(int64_t id);

  // Counts one more failed delivery attempt of an item.
  // Errors: kStorageFailure.
  base::Status recordAttempt(int64_t id);

  // Moves an item to dead_letters with the given error, in one transaction.
  // Errors: kInternal when there is no such item; kStorageFailure.
  base::Status deadLetter(int64_t id, std::string_view error);

  // All dead letters, oldest first (for an operator and for tests).
  // Errors: kStorageFailure.
  base::Result<std::vector<DeadLetter>> deadLetters();

  int64_t pending() const { return pending_.load(); }
  int64_t deadLetterCount() const { return deadLetterCount_.load(); }

 private:
  explicit Outbox(sqlite3* db);
  base::Status prepareStatements();
  base::Status loadCounts();
  base::Error storageError(const char* what) const;

  std::mutex mutex_;
  sqlite3* db_ = nullptr;                 // guarded by mutex_ (after open())
  sqlite3_stmt* insert_ = nullptr;        // guarded by mutex_
  sqlite3_stmt* selectOldest_ = nullptr;  // guarded by mutex_
  sqlite3_stmt* delete_ = nullptr;        // guarded by mutex_
  sqlite3_stmt* bumpAttempts_ = nullptr;  // guarded by mutex_
  sqlite3_stmt* copyToDead_ = nullptr;    // guarded by mutex_
  std::atomic<int64_t> pending_{0};
  std::atomic<int64_t> deadLetterCount_{0};
};

using OutboxPtr = std::unique_ptr<Outbox>;

}  // namespace loyalty::agent

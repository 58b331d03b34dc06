// Outbox: the pos-agent's local database: the durable queue of commits and refunds that the
// loyalty-core has not yet accepted (design.md section 3, "Offline"), and the state an offline
// till needs to accept signed coupons by itself (docs/operations.md, "Offline coupons"):
//   - the redemption log: the serial of every coupon this till saw redeemed (queued or committed
//     commits), so that it refuses a second use while offline;
//   - the priced-offline marks: transaction keys whose price was answered without the core, so
//     that their commit (and any replay of it) tells the core that the till granted the coupons
//     by itself;
//   - the offers cache: the last good answer of the core's GET /v1/offers, for a restarted agent
//     that cannot reach the core.
//
// Storage is one small SQLite file (sqlite3 C API) in WAL mode with synchronous=FULL: when
// enqueue() returns, the item survives a crash of the process or of the machine. Items are removed
// only after the core accepted them (remove(), one id or a batch of ids in one transaction) or
// refused them for good (deadLetter(), which moves the item and the core's error into the
// dead_letters table for an operator). The schema version is kept in PRAGMA user_version.
//
// Each item carries its delivery lane (OutboxItem::lane): the sender delivers items of the same
// lane one at a time in id order, items of different lanes possibly at the same time, and an item
// without a lane alone (server/delivery_window.h). The outbox only stores it.
//
// Invariants:
//   1. Ids grow strictly with enqueue order (AUTOINCREMENT: an id is never reused), so oldest()
//      returns items in the order they were enqueued.
//   2. pending() equals the number of rows in table outbox; deadLetterCount() the number of rows
//      in dead_letters (both cached, updated under the mutex after each successful change).
//   3. The coupon serials of a queued commit are stored in the same transaction as the commit:
//      both or neither (a failed enqueue records no coupon).
//   4. A serial is in the redemption log at most once (its first transaction key is kept).
// Housekeeping at open(): priced-offline marks older than kMarkRetentionDays are deleted. A mark
// outlives its commit on purpose: a commit replayed under the same key must carry the same
// offline_coupons, or the core refuses it as an idempotency conflict (docs/protocol.md). The
// redemption log is never pruned: it grows by one small row per coupon used at this till, and
// pruning it by date would trust the machine's clock.
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
  // The delivery lane: a commit's card number (its sales must reach the core in order); empty
  // for a refund (its card is not in the request) and for items stored by an agent older than
  // schema version 3: such an item is delivered alone, after every earlier item.
  std::string lane;
};

// One coupon redeemed by a commit: its serial and last valid day (YYYY-MM-DD, for an operator).
struct CouponRedemption {
  uint64_t serial = 0;
  std::string expires;
};

struct DeadLetter {
  OutboxItem item;
  std::string error;  // why the core refused it: HTTP status and its problem+json body
  int64_t deadAtMs = 0;
};

class Outbox {
 public:
  // The current schema version (PRAGMA user_version).
  // Version 2 added coupon_redemptions, priced_offline and offers_cache; version 3 the column
  // outbox.lane (NULL for the items already queued). Older files are migrated at open().
  static constexpr int kSchemaVersion = 3;
  // Days a priced-offline mark is kept (longer than any retry of its commit).
  static constexpr int kMarkRetentionDays = 7;

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

  // As enqueue(), and in the same transaction (all or nothing): adds `redemptions` to the
  // redemption log under `key` (a serial already there keeps its first key). `lane` is the
  // item's delivery lane (OutboxItem::lane; empty, the default: none).
  // Errors: kStorageFailure.
  base::Result<int64_t> enqueue(OutboxKind kind, std::string_view key, std::string_view body,
                                const std::vector<CouponRedemption>& redemptions,
                                std::string_view lane = {});

  // The item with the smallest id, or nullopt when the outbox is empty.
  // Errors: kStorageFailure.
  base::Result<std::optional<OutboxItem>> oldest();

  // Up to `limit` items with an id above `afterId`, smallest id first (what the sender reads
  // next). Errors: kStorageFailure.
  base::Result<std::vector<OutboxItem>> itemsAfter(int64_t afterId, size_t limit);

  // Deletes an item (the core accepted it). Removing an id that is not there is not an error.
  // Errors: kStorageFailure.
  base::Status remove(int64_t id);
  // Deletes every item of `ids` in one transaction (one fsync): all or none. Ids that are not
  // there are skipped. Errors: kStorageFailure (nothing was deleted).
  base::Status remove(const std::vector<int64_t>& ids);

  // Counts one more failed delivery attempt of an item.
  // Errors: kStorageFailure.
  base::Status recordAttempt(int64_t id);

  // Moves an item to dead_letters with the given error, in one transaction.
  // Errors: kInternal when there is no such item; kStorageFailure.
  base::Status deadLetter(int64_t id, std::string_view error);

  // All dead letters, oldest first (for an operator and for tests).
  // Errors: kStorageFailure.
  base::Result<std::vector<DeadLetter>> deadLetters();

  // Offline coupons.

  // The coupons of a commit the core accepted: adds `redemptions` to the redemption log under
  // `key`, in one transaction. Errors: kStorageFailure.
  base::Status recordRedemptions(std::string_view key,
                                 const std::vector<CouponRedemption>& redemptions);

  // The transaction key `serial` was redeemed by, or nullopt when it is not in the redemption
  // log. Errors: kStorageFailure.
  base::Result<std::optional<std::string>> redeemedBy(uint64_t serial);

  // Marks `key` as priced offline (idempotent; durable when this returns ok).
  // Errors: kStorageFailure.
  base::Status markPricedOffline(std::string_view key);
  // True when `key` is marked priced offline. Errors: kStorageFailure.
  base::Result<bool> isPricedOffline(std::string_view key);
  // Deletes the mark of `key` (absent: not an error), e.g. when the till voids the transaction.
  // Errors: kStorageFailure.
  base::Status clearPricedOffline(std::string_view key);

  // Replaces the stored offers (the core's GET /v1/offers body). Errors: kStorageFailure.
  base::Status saveOffers(std::string_view body);
  // The stored offers body, or nullopt when none was ever saved. Errors: kStorageFailure.
  base::Result<std::optional<std::string>> savedOffers();

  int64_t pending() const { return pending_.load(); }
  int64_t deadLetterCount() const { return deadLetterCount_.load(); }

 private:
  explicit Outbox(sqlite3* db);
  base::Status prepareStatements();
  base::Status loadCounts();
  base::Status housekeeping();
  // Runs inside an open transaction: inserts redemptions.
  base::Status storeRedemptions(std::string_view key,
                                const std::vector<CouponRedemption>& redemptions);
  // Runs fn inside BEGIN IMMEDIATE .. COMMIT; rolls back when it fails.
  template <typename Fn>
  base::Status inTransaction(Fn&& fn);
  // Runs one cached statement to completion after bind(stmt) binds it.
  template <typename Bind>
  base::Status execute(sqlite3_stmt* stmt, const char* what, Bind&& bind);
  base::Error storageError(const char* what) const;

  std::mutex mutex_;
  sqlite3* db_ = nullptr;                     // guarded by mutex_ (after open())
  sqlite3_stmt* insert_ = nullptr;            // guarded by mutex_
  sqlite3_stmt* selectOldest_ = nullptr;      // guarded by mutex_
  sqlite3_stmt* selectAfter_ = nullptr;       // guarded by mutex_
  sqlite3_stmt* delete_ = nullptr;            // guarded by mutex_
  sqlite3_stmt* bumpAttempts_ = nullptr;      // guarded by mutex_
  sqlite3_stmt* copyToDead_ = nullptr;        // guarded by mutex_
  sqlite3_stmt* insertRedemption_ = nullptr;  // guarded by mutex_
  sqlite3_stmt* selectRedemption_ = nullptr;  // guarded by mutex_
  sqlite3_stmt* insertMark_ = nullptr;        // guarded by mutex_
  sqlite3_stmt* selectMark_ = nullptr;        // guarded by mutex_
  sqlite3_stmt* deleteMark_ = nullptr;        // guarded by mutex_
  std::atomic<int64_t> pending_{0};
  std::atomic<int64_t> deadLetterCount_{0};
};

using OutboxPtr = std::unique_ptr<Outbox>;

}  // namespace loyalty::agent

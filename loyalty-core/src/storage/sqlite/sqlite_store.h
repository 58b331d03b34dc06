// SqliteStore: the LoyaltyStore on an SQLite database file, with group commit.
//
// Writes: one writer thread owns the only read-write connection. write(fn) queues fn and waits.
// The writer takes every queued fn (up to maxBatch) into one transaction (BEGIN IMMEDIATE); each
// fn runs inside its own SAVEPOINT, released when fn succeeds and rolled back when it fails, so a
// failing fn leaves no trace and does not disturb the others. One COMMIT (one fsync of the WAL
// with synchronous=FULL) then makes the whole batch durable, and only then do the callers' write()
// calls return. If BEGIN or COMMIT fails, every fn of the batch gets kStorageFailure and nothing
// of the batch is stored. A SQL failure inside a fn is kStorageFailure for that fn; an exception
// escaping a fn is kInternal for that fn.
//
// Reads (the LoyaltyStore methods other than write) use a pool of read-only connections, one
// thread per connection at a time, and see committed data only; WAL lets them run while the
// writer writes. salesOf and salesSince read their sales, lines and tenders in one snapshot.
// Every query of the checkout path (customers, sales and refunds by key, rolling spend, coupons
// by serial or reservation, issue and redemption counts) reads an index (schema.cpp), and so does
// every read that pages through a table (habitProfiles, couponsOfCampaign, salesSince, audit).
//
// Thread safety: every public method may be called from any number of threads. A fn given to
// write() runs on the writer thread and must not call write() on the same store (that is refused
// with kInternal, since it would wait for itself). The destructor finishes the queued writes,
// then stops the writer; no call may be in progress or start during destruction.
// Invariants: the database is at sqliteSchemaVersion() while the store is open; the write
// connection is used by the writer thread only (after open()).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "domain/store.h"

namespace loyalty::core::storage {

class SqliteConnection;

struct SqliteOptions {
  std::string path;             // database file; created if missing, its directory must exist
  int maxBatch = 512;           // most fns in one transaction; >= 1
  int readConnections = 4;      // size of the read pool; >= 1
  bool synchronousFull = true;  // false: synchronous=NORMAL (a power cut may lose last commits)
  int busyTimeoutMs = 5000;     // how long to wait for a lock held by another process; >= 0
};

class SqliteStore final : public domain::LoyaltyStore {
 public:
  // Opens or creates the database and migrates its schema. Errors: kStorageFailure (missing
  // directory, unreadable file, newer schema, ...), kValueOutOfRange (bad options).
  static base::Result<std::unique_ptr<SqliteStore>> open(const SqliteOptions& options);
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  base::Status write(const WriteFn& fn) override;
  base::Result<std::optional<domain::Customer>> findCustomer(const std::string& card) override;
  base::Result<std::vector<domain::Sale>> salesOf(int64_t customerId, size_t limit) override;
  base::Result<std::vector<domain::LedgerEntry>> ledgerOf(int64_t customerId) override;
  base::Result<std::vector<domain::Product>> products() override;
  base::Result<std::optional<std::string>> habitProfile(int64_t customerId) override;
  base::Result<std::optional<domain::Customer>> findCustomerById(int64_t customerId) override;
  base::Result<std::vector<domain::Sale>> salesSince(int64_t sinceMs, int64_t afterSaleId,
                                                     size_t limit) override;
  base::Result<std::optional<std::string>> setting(const std::string& name) override;
  base::Result<std::vector<domain::Campaign>> campaigns() override;
  base::Result<std::optional<domain::Campaign>> findCampaign(int64_t campaignId) override;
  base::Result<std::vector<domain::Coupon>> couponsOf(int64_t customerId) override;
  base::Result<std::optional<domain::Coupon>> findCoupon(uint64_t serial) override;
  base::Result<std::vector<domain::Redemption>> conflicts(size_t limit) override;
  base::Result<std::vector<domain::User>> users() override;
  base::Result<std::optional<domain::User>> findUser(const std::string& name) override;
  base::Result<std::optional<domain::Token>> findToken(const std::string& hash) override;
  base::Result<std::vector<domain::AuditEntry>> audit(int64_t beforeId, size_t limit) override;
  base::Result<std::vector<std::pair<int64_t, std::string>>> habitProfiles(int64_t afterCustomerId,
                                                                           size_t limit) override;
  base::Result<std::vector<domain::Coupon>> couponsOfCampaign(int64_t campaignId,
                                                              uint64_t afterSerial,
                                                              size_t limit) override;

  // Transactions committed or attempted by the writer, and fns run, since open (for tests).
  uint64_t batchesForTest() const { return batches_.load(); }
  uint64_t jobsForTest() const { return jobs_.load(); }
  // Number of write() calls waiting for the writer to take them (for tests).
  size_t queuedForTest() const;

 private:
  struct Job;
  class ReadLease;

  SqliteStore(const SqliteOptions& options, std::unique_ptr<SqliteConnection> writeConn,
              std::vector<std::unique_ptr<SqliteConnection>> readConns);

  void writerLoop();
  void runBatch(std::vector<Job*>& batch);
  ReadLease leaseReader();

  const int maxBatch_;
  std::unique_ptr<SqliteConnection> writeConn_;  // writer thread only

  // Write queue, guarded by mu_.
  mutable std::mutex mu_;
  std::condition_variable queueCv_;
  std::deque<Job*> queue_;
  bool stopping_ = false;
  std::thread writer_;
  std::thread::id writerId_;

  // Read pool, guarded by readMu_.
  std::mutex readMu_;
  std::condition_variable readCv_;
  std::vector<std::unique_ptr<SqliteConnection>> readConns_;  // owns; fixed after open
  std::vector<SqliteConnection*> freeReaders_;

  std::atomic<uint64_t> batches_{0};
  std::atomic<uint64_t> jobs_{0};
};

// The SQL text of the statements the checkout path runs (identify, price, commit, refund), for a
// test that checks with EXPLAIN QUERY PLAN that each one reads an index.
std::vector<std::string> sqliteCheckoutStatementsForTest();

// The SQL text of the statements that page through a table (customers with points, sales since,
// the audit log, habit profiles, a campaign's coupons), for the same check: each one reads an
// index or a range of a primary key, never the whole table.
std::vector<std::string> sqlitePagingStatementsForTest();

}  // namespace loyalty::core::storage

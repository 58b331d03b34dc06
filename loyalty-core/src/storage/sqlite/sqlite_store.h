// SqliteStore: the LoyaltyStore on an SQLite database file, with group commit.
//
// Writes: one writer thread owns the only read-write connection. write(fn) queues fn and waits.
// The writer takes every queued fn (up to maxBatch) into one transaction (BEGIN IMMEDIATE); each
// fn runs inside its own SAVEPOINT, released when fn succeeds and rolled back when it fails, so a
// failing fn leaves no trace and does not disturb the others. If BEGIN or COMMIT fails, every fn
// of the batch gets kStorageFailure and nothing of the batch is stored. A SQL failure inside a fn
// is kStorageFailure for that fn; an exception escaping a fn is kInternal for that fn.
//
// Durability (synchronousFull, the default): a write() returns only once its transaction is on
// disk. COMMIT writes the batch's frames to the WAL without waiting for the disk (SQLite's
// synchronous=NORMAL); the batch then goes to a sync thread, which calls fdatasync on the WAL file
// and only then answers the batch's write() calls. Meanwhile the writer runs the next batch, so
// the disk flush of one batch overlaps the work of the next instead of stopping the writer
// (measured: a COMMIT with its fsync took 3-8 ms, longer than running the batch's fns). One
// fdatasync covers every batch committed before it started. Readers may see a batch up to one
// flush before it is durable (its writers are still waiting); after a crash, SQLite's WAL
// recovery keeps every batch that was flushed and drops any later one whole. If a flush fails the
// batch's writes get kStorageFailure (they may or may not be on disk) and the store refuses every
// later write: the operator restarts the core, whose WAL recovery decides. WAL checkpoints run on
// their own thread and connection (PASSIVE, when the WAL passes kCheckpointFrames frames), not
// inside a COMMIT; past kRestartFrames the writer finishes one between two batches, so that the
// WAL starts over and stays bounded. With synchronousFull false, nothing is flushed per batch
// (a power cut may lose the last batches; SQLite still syncs at each checkpoint).
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
// then stops the writer, the sync and the checkpoint threads; no call may be in progress or
// start during destruction.
// Invariants: the database is at sqliteSchemaVersion() while the store is open; the write
// connection is used by the writer thread only (after open()); a Job is answered (done) once,
// by the writer (failed or not flushed) or by the sync thread (flushed).
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

struct sqlite3;

namespace loyalty::core::storage {

class SqliteConnection;

struct SqliteOptions {
  std::string path;             // database file; created if missing, its directory must exist
  int maxBatch = 512;           // most fns in one transaction; >= 1
  int readConnections = 4;      // size of the read pool; >= 1
  bool synchronousFull = true;  // false: no flush per batch (a power cut may lose last commits)
  int busyTimeoutMs = 5000;     // how long to wait for a lock held by another process; >= 0
};

class SqliteStore final : public domain::LoyaltyStore {
 public:
  // WAL size (frames, i.e. pages) past which the checkpoint thread copies the WAL back into
  // the database in the background (SQLite's own default for its automatic checkpoints), and
  // past which the writer finishes the copy itself between two transactions so that the WAL
  // starts over (this bounds the WAL file).
  static constexpr int kCheckpointFrames = 1000;
  static constexpr int kRestartFrames = 8000;

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

  // Where the writer thread's time goes, since open (loyalty-bench reports it per write).
  struct WriterStats {
    uint64_t batches = 0;
    uint64_t jobs = 0;
    int64_t fnNs = 0;      // wall time from BEGIN to the last fn's savepoint release
    int64_t commitNs = 0;  // wall time of COMMIT (writing the batch's frames to the WAL)
    int64_t cpuNs = 0;     // CPU time of the writer thread
    uint64_t flushes = 0;  // fdatasync calls of the sync thread
    int64_t flushNs = 0;   // their wall time
    uint64_t checkpoints = 0;        // by the checkpoint thread
    uint64_t writerCheckpoints = 0;  // by the writer, past kRestartFrames
  };
  WriterStats writerStats() const;
  // Number of write() calls waiting for the writer to take them (for tests).
  size_t queuedForTest() const;

 private:
  struct Job;
  class ReadLease;

  SqliteStore(const SqliteOptions& options, std::unique_ptr<SqliteConnection> writeConn,
              std::unique_ptr<SqliteConnection> checkpointConn,
              std::vector<std::unique_ptr<SqliteConnection>> readConns, int walFd);

  void writerLoop();
  // Runs the batch in one transaction; true when its COMMIT succeeded.
  bool runBatch(std::vector<Job*>& batch);
  // Marks the jobs done (their results are set) and wakes their callers.
  void answer(const std::vector<Job*>& batch);
  void syncLoop();
  void checkpointLoop();
  static int onWalCommit(void* self, ::sqlite3* db, const char* name, int frames);
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

  // Flushing committed batches (synchronousFull), guarded by syncMu_.
  const int walFd_;  // the WAL file, for fdatasync; -1 without synchronousFull
  std::mutex syncMu_;
  std::condition_variable syncCv_;
  std::vector<std::vector<Job*>> syncQueue_;  // committed, not yet flushed, oldest first
  bool syncStopping_ = false;
  std::thread syncer_;
  std::atomic<bool> syncFailed_{false};  // a flush failed: every later write is refused

  // Checkpoints, guarded by checkpointMu_.
  std::unique_ptr<SqliteConnection> checkpointConn_;  // checkpoint thread only
  std::mutex checkpointMu_;
  std::condition_variable checkpointCv_;
  bool checkpointWanted_ = false;
  std::atomic<int> walFrames_{0};  // WAL length after the last COMMIT
  int checkpointAt_ = kCheckpointFrames;  // WAL length that asks for the next pass (writer only)
  std::mutex checkpointRunMu_;      // held while a checkpoint runs (either thread)
  bool checkpointStopping_ = false;
  std::thread checkpointer_;

  // Read pool, guarded by readMu_.
  std::mutex readMu_;
  std::condition_variable readCv_;
  std::vector<std::unique_ptr<SqliteConnection>> readConns_;  // owns; fixed after open
  std::vector<SqliteConnection*> freeReaders_;

  std::atomic<uint64_t> batches_{0};
  std::atomic<uint64_t> jobs_{0};
  std::atomic<int64_t> fnNs_{0};
  std::atomic<int64_t> commitNs_{0};
  std::atomic<int64_t> writerCpuNs_{0};  // updated after each batch
  std::atomic<uint64_t> checkpoints_{0};
  std::atomic<uint64_t> writerCheckpoints_{0};
  std::atomic<uint64_t> flushes_{0};
  std::atomic<int64_t> flushNs_{0};
};

// The SQL text of the statements the checkout path runs (identify, price, commit, refund), for a
// test that checks with EXPLAIN QUERY PLAN that each one reads an index.
std::vector<std::string> sqliteCheckoutStatementsForTest();

// The SQL text of the statements that page through a table (customers with points, sales since,
// the audit log, habit profiles, a campaign's coupons), for the same check: each one reads an
// index or a range of a primary key, never the whole table.
std::vector<std::string> sqlitePagingStatementsForTest();

}  // namespace loyalty::core::storage

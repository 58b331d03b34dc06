#include "loyalty-bench/storage_bench.h"

#include <stdlib.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>
#include <utility>

#include "domain/personalization/habit_profile.h"
#include "domain/store.h"
#include "loyalty/protocol/codec.h"
#include "storage/sqlite/sqlite_store.h"

namespace loyalty::tools {

using Clock = std::chrono::steady_clock;

struct StorageBench::Row {
  core::domain::Sale sale;  // key.terminal and key.txn are set per write
  std::string card;
  std::string profile;  // HabitProfile::serialize() of the basket
};

namespace {

constexpr size_t kMaxErrorSamples = 5;
constexpr int64_t kMinorUnitsPerPoint = 100;

int64_t wallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void noteError(PhaseResult& r, const std::string& message) {
  ++r.errors;
  if (r.errorSamples.size() < kMaxErrorSamples) {
    r.errorSamples.push_back(message);
  }
}

base::Result<std::string> makeFolder(const std::string& parentDir) {
  std::error_code ec;
  std::string parent = parentDir;
  if (parent.empty()) {
    parent = std::filesystem::temp_directory_path(ec).string();
    if (ec) {
      return base::makeError(base::ErrorCode::kInternal,
                             "no temporary folder: " + ec.message());
    }
  }
  std::string pattern = parent + "/loyalty-bench-storage-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    return base::makeError(base::ErrorCode::kInternal,
                           "cannot create a folder in " + parent + " for the storage database");
  }
  return pattern;
}

// The sale and profile a commit of this shopper stores, from its encoded commit body.
core::domain::Sale saleOf(const protocol::CommitRequest& request) {
  core::domain::Sale sale;
  sale.key.store = request.key.store;
  sale.key.terminal = request.key.terminal;
  sale.key.businessDate = request.key.businessDate;
  sale.key.txn = request.key.txn;
  sale.fingerprint = protocol::fingerprint(request);
  int64_t total = 0;
  for (const protocol::BasketLine& line : request.lines) {
    core::domain::SaleLine l;
    l.line = line.line;
    l.sku = line.sku;
    l.quantity = line.quantity;
    l.unitPrice = line.unitPrice;
    total += l.amount().value();
    sale.lines.push_back(std::move(l));
  }
  for (const protocol::Tender& t : request.tenders) {
    sale.tenders.push_back(core::domain::Tender{t.type, t.amount});
  }
  sale.total = base::Money(total);
  sale.pointsEarned = base::Points(total / kMinorUnitsPerPoint);
  return sale;
}

}  // namespace

StorageBench::StorageBench(const Workload& workload, std::vector<Row> rows)
    : workload_(workload), rows_(std::move(rows)) {}

StorageBench::~StorageBench() {
  store_.reset();  // finishes the queued writes and closes the database first
  if (!dir_.empty() && std::getenv("LOYALTY_BENCH_KEEP") == nullptr) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

base::Result<std::unique_ptr<StorageBench>> StorageBench::open(const Workload& workload,
                                                               const std::string& parentDir) {
  std::vector<Row> rows;
  rows.reserve(workload.poolSize());
  for (size_t i = 0; i < workload.poolSize(); ++i) {
    auto request = protocol::decodeCommitRequest(workload.commitTemplate(i));
    if (!request.ok()) {
      return base::makeError(base::ErrorCode::kInternal,
                             "the workload's commit body does not decode: " +
                                 request.error().message);
    }
    core::personalization::HabitProfile profile;
    profile.update(workload.basketItems(i));
    rows.push_back(Row{saleOf(request.value()), request->card, profile.serialize()});
  }

  auto folder = makeFolder(parentDir);
  if (!folder.ok()) {
    return folder.error();
  }
  std::unique_ptr<StorageBench> bench(new StorageBench(workload, std::move(rows)));
  bench->dir_ = folder.value();
  bench->databasePath_ = bench->dir_ + "/storage.db";
  core::storage::SqliteOptions options;  // the core's defaults: FULL sync, maxBatch 512
  options.path = bench->databasePath_;
  auto store = core::storage::SqliteStore::open(options);
  if (!store.ok()) {
    return store.error();  // the destructor removes the folder
  }
  bench->store_ = std::move(store).value();
  return bench;
}

void StorageBench::runWriter(int thread, int threads, int64_t kOffset, int64_t endNs,
                             PhaseResult& out) {
  using core::domain::StoreWriter;
  const Clock::time_point end{std::chrono::nanoseconds(endNs)};
  const std::string terminal = Workload::terminalOf(thread);
  bool succeeded = false;
  for (int64_t k = kOffset;; ++k) {
    if (Clock::now() >= end) {
      break;
    }
    const Row& row = rows_[workload_.shopperIndex(thread, k, threads)];
    core::domain::Sale sale = row.sale;
    sale.key.terminal = terminal;
    sale.key.txn = workload_.txnOf(thread, k);
    const int64_t nowMs = wallMs();
    sale.createdAtMs = nowMs;

    const Clock::time_point from = Clock::now();
    const base::Status s = store_->write([&](StoreWriter& w) -> base::Status {
      auto existing = w.findSale(sale.key);
      if (!existing.ok()) {
        return existing.error();
      }
      if (existing->has_value()) {
        return base::makeError(base::ErrorCode::kIdempotencyConflict,
                               "transaction key already stored: " + sale.key.txn);
      }
      auto refund = w.findRefund(sale.key);
      if (!refund.ok()) {
        return refund.error();
      }
      auto found = w.findCustomer(row.card);
      if (!found.ok()) {
        return found.error();
      }
      core::domain::Customer customer;
      if (found->has_value()) {
        customer = std::move(**found);
      } else {
        auto inserted = w.insertCustomer(row.card, nowMs);
        if (!inserted.ok()) {
          return inserted.error();
        }
        customer = std::move(inserted).value();
      }
      sale.customerId = customer.id;  // in place: the writer thread copies nothing it need not
      sale.tier = customer.tier;
      sale.balanceAfter = customer.balance + sale.pointsEarned;
      auto saleId = w.insertSale(sale);
      if (!saleId.ok()) {
        return saleId.error();
      }
      if (sale.pointsEarned.value() > 0) {
        core::domain::LedgerEntry e;
        e.customerId = customer.id;
        e.kind = core::domain::LedgerKind::kEarn;
        e.points = sale.pointsEarned;
        e.saleId = *saleId;
        e.createdAtMs = nowMs;
        auto balance = w.appendLedger(e);
        if (!balance.ok()) {
          return balance.error();
        }
      }
      auto profile = w.findHabitProfile(customer.id);
      if (!profile.ok()) {
        return profile.error();
      }
      return w.saveHabitProfile(customer.id, row.profile, nowMs);
    });
    const Clock::time_point done = Clock::now();
    if (!s.ok()) {
      noteError(out, "write: " + s.error().message);
      continue;
    }
    succeeded = true;
    const int64_t micros =
        std::chrono::duration_cast<std::chrono::microseconds>(done - from).count();
    out.latency.add(micros);
    out.ops["write"].add(micros);
    ++out.answered;
  }
  out.tillsNeverAnswered = succeeded ? 0 : 1;
}

PhaseResult StorageBench::runPhase(const std::string& label, int threads, double durationS,
                                   int64_t kOffset) {
  std::vector<PhaseResult> perThread(static_cast<size_t>(threads));
  std::mutex mutex;
  std::condition_variable cv;
  int ready = 0;
  bool go = false;
  int64_t endNs = 0;

  const uint64_t batchesBefore = store_->batchesForTest();
  const core::storage::SqliteStore::WriterStats statsBefore = store_->writerStats();
  rusage usageBefore{};
  ::getrusage(RUSAGE_SELF, &usageBefore);
  std::vector<std::thread> workers;
  workers.reserve(perThread.size());
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      int64_t e = 0;
      {
        std::unique_lock<std::mutex> lock(mutex);
        ++ready;
        cv.notify_all();
        cv.wait(lock, [&] { return go; });
        e = endNs;
      }
      runWriter(t, threads, kOffset, e, perThread[static_cast<size_t>(t)]);
    });
  }
  Clock::time_point start;
  {
    std::unique_lock<std::mutex> lock(mutex);
    cv.wait(lock, [&] { return ready == threads; });
    start = Clock::now();
    const auto end = start + std::chrono::nanoseconds(static_cast<int64_t>(durationS * 1e9));
    endNs = std::chrono::duration_cast<std::chrono::nanoseconds>(end.time_since_epoch()).count();
    go = true;
  }
  cv.notify_all();
  for (auto& w : workers) {
    w.join();
  }
  const double wallS = std::chrono::duration<double>(Clock::now() - start).count();

  PhaseResult total;
  total.label = label;
  for (const auto& r : perThread) {
    total.merge(r);
  }
  total.wallS = wallS;
  total.transactions = store_->batchesForTest() - batchesBefore;
  const core::storage::SqliteStore::WriterStats after = store_->writerStats();
  rusage usageAfter{};
  ::getrusage(RUSAGE_SELF, &usageAfter);
  auto cpuUs = [](const rusage& u) {
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e6 +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
  };
  const double jobs = static_cast<double>(std::max<uint64_t>(1, after.jobs - statsBefore.jobs));
  const double batches =
      static_cast<double>(std::max<uint64_t>(1, after.batches - statsBefore.batches));
  std::fprintf(stderr,
               "loyalty-bench: %s: writer thread per write: %.1f us CPU, %.1f us in the fns, "
               "%.1f us in COMMIT (%.2f ms per COMMIT); %.2f ms per WAL flush, %.1f writes "
               "per flush, %llu + %llu checkpoints; process CPU %.1f us per write\n",
               label.c_str(), static_cast<double>(after.cpuNs - statsBefore.cpuNs) / 1e3 / jobs,
               static_cast<double>(after.fnNs - statsBefore.fnNs) / 1e3 / jobs,
               static_cast<double>(after.commitNs - statsBefore.commitNs) / 1e3 / jobs,
               static_cast<double>(after.commitNs - statsBefore.commitNs) / 1e6 / batches,
               static_cast<double>(after.flushNs - statsBefore.flushNs) / 1e6 /
                   static_cast<double>(std::max<uint64_t>(1, after.flushes - statsBefore.flushes)),
               jobs / static_cast<double>(
                          std::max<uint64_t>(1, after.flushes - statsBefore.flushes)),
               static_cast<unsigned long long>(after.checkpoints - statsBefore.checkpoints),
               static_cast<unsigned long long>(after.writerCheckpoints -
                                               statsBefore.writerCheckpoints),
               (cpuUs(usageAfter) - cpuUs(usageBefore)) / jobs);
  return total;
}

}  // namespace loyalty::tools

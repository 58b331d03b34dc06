#include "loyalty-bench/history_db.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/synthetic_catalogue.h"
#include "storage/sqlite/sqlite_store.h"

namespace loyalty::tools {
namespace {

using base::ErrorCode;
using Clock = std::chrono::steady_clock;

constexpr int64_t kMinorUnitsPerPoint = 100;
constexpr int64_t kHistoryEndMs = 1767225600000;  // 2026-01-01T00:00:00Z
constexpr int64_t kHistorySpanMs = int64_t{730} * 24 * 3600 * 1000;
constexpr int64_t kCustomersPerTransaction = 2000;
constexpr auto kProgressEvery = std::chrono::seconds(3);
constexpr int kStores = 40;
constexpr int kTerminalsPerStore = 8;

base::Error sqlError(sqlite3* db, const std::string& what) {
  return base::makeError(ErrorCode::kStorageFailure,
                         what + ": " + (db != nullptr ? sqlite3_errmsg(db) : "no database"));
}

// One sqlite3 connection, closed on scope exit.
class Db {
 public:
  ~Db() {
    for (sqlite3_stmt* s : stmts_) {
      sqlite3_finalize(s);
    }
    if (db_ != nullptr) {
      sqlite3_close(db_);
    }
  }
  base::Status open(const std::string& path, int flags) {
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
      return sqlError(db_, "open " + path);
    }
    return base::okStatus();
  }
  base::Status exec(const char* sql) {
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
      return sqlError(db_, sql);
    }
    return base::okStatus();
  }
  base::Result<sqlite3_stmt*> prepare(const char* sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &s, nullptr) != SQLITE_OK) {
      return sqlError(db_, sql);
    }
    stmts_.push_back(s);
    return s;
  }
  // Steps s once (an INSERT / UPDATE) and resets it.
  base::Status run(sqlite3_stmt* s, const char* what) {
    const int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
      return sqlError(db_, what);
    }
    return base::okStatus();
  }
  sqlite3* raw() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
  std::vector<sqlite3_stmt*> stmts_;
};

uint64_t mix(uint64_t a, uint64_t b) { return splitmix64(a * 0x9E3779B97F4A7C15ULL ^ b); }

std::string dateOf(int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
  return buf;
}

int64_t fileSize(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
}

struct GenLine {
  int64_t item = 0;
  int64_t quantity = 0;
  int64_t unitPrice = 0;
};

struct GenSale {
  std::vector<GenLine> lines;
  int64_t total = 0;
  int64_t points = 0;
};

// The sales of customer c (see the header for the rules).
std::vector<GenSale> salesOf(const TaFengData& data, const std::vector<int64_t>& itemIds,
                             const std::unordered_map<int64_t, size_t>& byUser, uint64_t seed,
                             int64_t c, int64_t lineBudget) {
  size_t model = 0;
  if (auto it = byUser.find(c); it != byUser.end()) {
    model = it->second;
  } else {
    model = static_cast<size_t>(mix(seed, static_cast<uint64_t>(c)) % data.shoppers.size());
  }
  const Shopper& shopper = data.shoppers[model];
  const size_t nb = shopper.baskets.size();
  size_t b = static_cast<size_t>(mix(seed + 1, static_cast<uint64_t>(c)) % nb);
  std::vector<GenSale> sales;
  int64_t left = lineBudget;
  size_t visit = 0;
  while (left > 0) {
    const std::vector<int64_t>& basket = shopper.baskets[b];
    GenSale sale;
    for (size_t i = 0; i < basket.size() && left > 0; ++i, --left) {
      int64_t item = basket[i];
      const uint64_t h = mix(seed + 2, static_cast<uint64_t>(c) * 1000003ULL + visit * 131 + i);
      if (h % 8 == 0) {
        item = itemIds[static_cast<size_t>((h >> 8) % itemIds.size())];
      }
      GenLine line;
      line.item = item;
      line.quantity = quantityOf(c, visit, item);
      line.unitPrice = unitPriceOf(item).value();
      sale.total += line.quantity * line.unitPrice;
      sale.lines.push_back(line);
    }
    sale.points = sale.total / kMinorUnitsPerPoint;
    sales.push_back(std::move(sale));
    b = (b + 1) % nb;
    ++visit;
  }
  return sales;
}

struct Statements {
  sqlite3_stmt* customer = nullptr;
  sqlite3_stmt* sale = nullptr;
  sqlite3_stmt* line = nullptr;
  sqlite3_stmt* tender = nullptr;
  sqlite3_stmt* ledger = nullptr;
};

base::Result<Statements> prepareAll(Db& db) {
  Statements s;
  const std::pair<sqlite3_stmt**, const char*> all[] = {
      {&s.customer,
       "INSERT INTO customers(id, card, tier, balance, enrolled_at_ms, debt) "
       "VALUES (?1, ?2, 'base', ?3, ?4, 0)"},
      {&s.sale,
       "INSERT INTO sales(id, store, terminal, business_date, txn, fingerprint, customer_id, "
       "total, points_earned, balance_after, created_at_ms, tier, discount_total, "
       "points_redeemed, coupon_bonus) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'base', 0, 0, 0)"},
      {&s.line,
       "INSERT INTO sale_lines(sale_id, line, sku, quantity, unit_price, earns, "
       "refunded_quantity, discount, points_tendered, points_tender_value) "
       "VALUES (?1, ?2, ?3, ?4, ?5, 1, 0, 0, 0, 0)"},
      {&s.tender,
       "INSERT INTO sale_tenders(sale_id, seq, type, amount) VALUES (?1, 0, 'card', ?2)"},
      {&s.ledger,
       "INSERT INTO ledger(customer_id, kind, points, sale_id, refund_id, created_at_ms, note) "
       "VALUES (?1, 0, ?2, ?3, NULL, ?4, '')"},
  };
  for (const auto& [out, sql] : all) {
    auto p = db.prepare(sql);
    if (!p.ok()) {
      return p.error();
    }
    *out = p.value();
  }
  return s;
}

void bindText(sqlite3_stmt* s, int i, const std::string& v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}

// Inserts customer c and its sales; advances saleId and counts.
base::Status insertCustomer(Db& db, const Statements& st, int64_t c,
                            const std::vector<GenSale>& sales, uint64_t seed, int64_t& saleId,
                            HistoryStats& stats) {
  int64_t balance = 0;
  for (const GenSale& s : sales) {
    balance += s.points;
  }
  const int64_t n = static_cast<int64_t>(sales.size());
  const int64_t slot = kHistorySpanMs / (n + 1);
  const int64_t start = kHistoryEndMs - kHistorySpanMs;
  const int64_t jitterRange = slot / 2 > 0 ? slot / 2 : 1;
  const int64_t enrolled = start + static_cast<int64_t>(mix(seed + 3, static_cast<uint64_t>(c)) %
                                                        static_cast<uint64_t>(jitterRange));
  sqlite3_bind_int64(st.customer, 1, c + 1);
  bindText(st.customer, 2, cardOf(c));
  sqlite3_bind_int64(st.customer, 3, balance);
  sqlite3_bind_int64(st.customer, 4, enrolled);
  if (auto r = db.run(st.customer, "insert customer"); !r.ok()) {
    return r;
  }
  const std::string store = "S" + std::to_string(1 + c % kStores);
  int64_t running = 0;
  for (int64_t k = 0; k < n; ++k) {
    const GenSale& s = sales[static_cast<size_t>(k)];
    const uint64_t h = mix(seed + 4, static_cast<uint64_t>(saleId));
    const int64_t at = enrolled + slot * k + static_cast<int64_t>(h % static_cast<uint64_t>(
                                                                         jitterRange));
    running += s.points;
    ++saleId;
    sqlite3_bind_int64(st.sale, 1, saleId);
    bindText(st.sale, 2, store);
    bindText(st.sale, 3, "T" + std::to_string(1 + (h >> 20) % kTerminalsPerStore));
    bindText(st.sale, 4, dateOf(at));
    bindText(st.sale, 5, "h" + std::to_string(saleId));
    sqlite3_bind_int64(st.sale, 6, static_cast<int64_t>(h));
    sqlite3_bind_int64(st.sale, 7, c + 1);
    sqlite3_bind_int64(st.sale, 8, s.total);
    sqlite3_bind_int64(st.sale, 9, s.points);
    sqlite3_bind_int64(st.sale, 10, running);
    sqlite3_bind_int64(st.sale, 11, at);
    if (auto r = db.run(st.sale, "insert sale"); !r.ok()) {
      return r;
    }
    int64_t lineNo = 0;
    for (const GenLine& l : s.lines) {
      sqlite3_bind_int64(st.line, 1, saleId);
      sqlite3_bind_int64(st.line, 2, ++lineNo);
      bindText(st.line, 3, skuOf(l.item));
      sqlite3_bind_int64(st.line, 4, l.quantity);
      sqlite3_bind_int64(st.line, 5, l.unitPrice);
      if (auto r = db.run(st.line, "insert sale line"); !r.ok()) {
        return r;
      }
    }
    sqlite3_bind_int64(st.tender, 1, saleId);
    sqlite3_bind_int64(st.tender, 2, s.total);
    if (auto r = db.run(st.tender, "insert tender"); !r.ok()) {
      return r;
    }
    if (s.points > 0) {
      sqlite3_bind_int64(st.ledger, 1, c + 1);
      sqlite3_bind_int64(st.ledger, 2, s.points);
      sqlite3_bind_int64(st.ledger, 3, saleId);
      sqlite3_bind_int64(st.ledger, 4, at);
      if (auto r = db.run(st.ledger, "insert ledger entry"); !r.ok()) {
        return r;
      }
      ++stats.ledgerEntries;
    }
    stats.lines += static_cast<int64_t>(s.lines.size());
  }
  stats.sales += n;
  ++stats.customers;
  return base::okStatus();
}

base::Result<int64_t> queryInt(Db& db, const char* sql) {
  auto s = db.prepare(sql);
  if (!s.ok()) {
    return s.error();
  }
  if (sqlite3_step(s.value()) != SQLITE_ROW) {
    return sqlError(db.raw(), sql);
  }
  return static_cast<int64_t>(sqlite3_column_int64(s.value(), 0));
}

}  // namespace

std::string humanBytes(int64_t bytes) {
  char buf[32];
  if (bytes >= (int64_t{1} << 30)) {
    std::snprintf(buf, sizeof buf, "%.2f GB", static_cast<double>(bytes) / (1 << 30));
  } else {
    std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / (1 << 20));
  }
  return buf;
}

base::Result<HistoryStats> buildHistoryDb(const TaFengData& data, const HistorySpec& spec,
                                          const std::string& path,
                                          const HistoryProgressFn& progress) {
  if (spec.customers < 1 || spec.customers > kMaxHistoryCustomers || spec.lines < spec.customers ||
      spec.lines > kMaxHistoryLines) {
    return base::makeError(ErrorCode::kInvalidValue,
                           "history: want 1 <= customers <= lines (got " +
                               std::to_string(spec.customers) + " customers, " +
                               std::to_string(spec.lines) + " lines)");
  }
  if (data.shoppers.empty()) {
    return base::makeError(ErrorCode::kInvalidValue, "history: the TaFeng data has no shopper");
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    return base::makeError(ErrorCode::kInvalidState, "history: " + path + " already exists");
  }
  const auto t0 = Clock::now();
  {
    core::storage::SqliteOptions options;  // the schema, made by the core's own store
    options.path = path;
    auto store = core::storage::SqliteStore::open(options);
    if (!store.ok()) {
      return store.error();
    }
  }
  Db db;
  if (auto s = db.open(path, SQLITE_OPEN_READWRITE); !s.ok()) {
    return s.error();
  }
  for (const char* pragma :
       {"PRAGMA journal_mode = OFF", "PRAGMA synchronous = OFF", "PRAGMA cache_size = -1000000",
        "PRAGMA locking_mode = EXCLUSIVE", "PRAGMA temp_store = MEMORY",
        "PRAGMA foreign_keys = OFF"}) {
    if (auto s = db.exec(pragma); !s.ok()) {
      return s.error();
    }
  }
  auto stmts = prepareAll(db);
  if (!stmts.ok()) {
    return stmts.error();
  }
  std::unordered_map<int64_t, size_t> byUser;
  for (size_t i = 0; i < data.shoppers.size(); ++i) {
    byUser.emplace(data.shoppers[i].userId, i);
  }
  const std::vector<int64_t> itemIds = data.itemIds();
  const int64_t perCustomer = spec.lines / spec.customers;
  const int64_t extra = spec.lines % spec.customers;

  HistoryStats stats;
  int64_t saleId = 0;
  auto lastReport = Clock::now();
  for (int64_t c = 0; c < spec.customers; c += kCustomersPerTransaction) {
    if (auto s = db.exec("BEGIN"); !s.ok()) {
      return s.error();
    }
    const int64_t end = std::min(spec.customers, c + kCustomersPerTransaction);
    for (int64_t k = c; k < end; ++k) {
      const int64_t budget = perCustomer + (k < extra ? 1 : 0);
      auto sales = salesOf(data, itemIds, byUser, spec.seed, k, budget);
      if (auto s = insertCustomer(db, stmts.value(), k, sales, spec.seed, saleId, stats);
          !s.ok()) {
        return s.error();
      }
    }
    if (auto s = db.exec("COMMIT"); !s.ok()) {
      return s.error();
    }
    const auto now = Clock::now();
    if (progress && (now - lastReport >= kProgressEvery || end == spec.customers)) {
      lastReport = now;
      progress(HistoryProgress{stats.customers, stats.lines,
                               std::chrono::duration<double>(now - t0).count()});
    }
  }
  stats.buildSeconds = std::chrono::duration<double>(Clock::now() - t0).count();
  char meta[512];
  std::snprintf(meta, sizeof meta,
                "CREATE TABLE bench_history_meta (customers INTEGER NOT NULL, lines INTEGER NOT "
                "NULL, sales INTEGER NOT NULL, ledger INTEGER NOT NULL, build_seconds REAL NOT "
                "NULL, seed INTEGER NOT NULL); INSERT INTO bench_history_meta VALUES (%lld, %lld, "
                "%lld, %lld, %.3f, %lld);",
                static_cast<long long>(stats.customers), static_cast<long long>(stats.lines),
                static_cast<long long>(stats.sales), static_cast<long long>(stats.ledgerEntries),
                stats.buildSeconds, static_cast<long long>(spec.seed));
  if (auto s = db.exec(meta); !s.ok()) {
    return s.error();
  }
  if (auto s = db.exec("PRAGMA journal_mode = WAL"); !s.ok()) {
    return s.error();
  }
  stats.dbBytes = fileSize(path);
  return stats;
}

base::Result<HistoryStats> readHistoryDb(const std::string& path) {
  Db db;
  if (auto s = db.open(path, SQLITE_OPEN_READONLY); !s.ok()) {
    return s.error();
  }
  auto meta = db.prepare(
      "SELECT customers, lines, sales, ledger, build_seconds FROM bench_history_meta");
  if (!meta.ok() || sqlite3_step(meta.value()) != SQLITE_ROW) {
    return base::makeError(ErrorCode::kInvalidValue,
                           path + " is not a finished history database (no bench_history_meta)");
  }
  HistoryStats stats;
  stats.customers = sqlite3_column_int64(meta.value(), 0);
  stats.lines = sqlite3_column_int64(meta.value(), 1);
  stats.sales = sqlite3_column_int64(meta.value(), 2);
  stats.ledgerEntries = sqlite3_column_int64(meta.value(), 3);
  stats.buildSeconds = sqlite3_column_double(meta.value(), 4);
  stats.dbBytes = fileSize(path);
  return stats;
}

base::Status resetHistoryUsers(const std::string& path) {
  Db db;
  if (auto s = db.open(path, SQLITE_OPEN_READWRITE); !s.ok()) {
    return s;
  }
  auto has = queryInt(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'bench_history_meta'");
  if (!has.ok()) {
    return has.error();
  }
  if (has.value() != 1) {
    return base::makeError(ErrorCode::kInvalidValue,
                           path + " is not a history database of loyalty-bench");
  }
  return db.exec("BEGIN; DELETE FROM tokens; DELETE FROM users; COMMIT");
}

}  // namespace loyalty::tools

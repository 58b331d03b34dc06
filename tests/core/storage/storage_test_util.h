// Helpers shared by the storage tests: the store backends the contract suite runs on (each
// SqliteBackend in its own temporary directory, removed afterwards) and small record builders.
// TempDir and waitUntil come from tests/support. inWrite runs one writer call in its own write;
// RawDb opens a database file beside the store, to inspect or tamper with it.
//
// Thread safety: the helpers that use Catch2 assertions (openSqlite, enrol, storeSale, readSale)
// run on the test's thread only.
#pragma once

#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "domain/store.h"
#include "storage/memory/memory_store.h"
#include "storage/sqlite/sqlite_store.h"
#include "support/test_support.h"

namespace loyalty::core::storage::testing {

using ::loyalty::testing::TempDir;
using ::loyalty::testing::waitUntil;

// A raw connection to inspect or tamper with a database file from outside the store.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    REQUIRE(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                            nullptr) == SQLITE_OK);
  }
  ~RawDb() { sqlite3_close_v2(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  void exec(const std::string& sql) {
    char* message = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
    INFO(sql << ": " << (message != nullptr ? message : ""));
    sqlite3_free(message);
    REQUIRE(rc == SQLITE_OK);
  }

  // The first column of the first row of sql, as text.
  std::string text(const std::string& sql) {
    std::vector<std::string> values = column(sql, 0);
    return values.empty() ? std::string() : values.front();
  }

  int64_t integer(const std::string& sql) { return std::stoll(text(sql)); }

  // Column col of every row of sql, as text (NULL as "").
  std::vector<std::string> column(const std::string& sql, int col) {
    sqlite3_stmt* stmt = nullptr;
    INFO(sql);
    REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
    std::vector<std::string> values;
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      const unsigned char* value = sqlite3_column_text(stmt, col);
      values.emplace_back(value != nullptr ? reinterpret_cast<const char*>(value) : "");
    }
    sqlite3_finalize(stmt);
    return values;
  }

  sqlite3* handle() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

inline SqliteOptions sqliteOptions(const std::string& path) {
  SqliteOptions options;
  options.path = path;
  return options;
}

inline std::unique_ptr<SqliteStore> openSqlite(const SqliteOptions& options) {
  base::Result<std::unique_ptr<SqliteStore>> opened = SqliteStore::open(options);
  INFO((opened.ok() ? std::string() : opened.error().message));
  REQUIRE(opened.ok());
  return std::move(opened).value();
}

// The backends of the contract suite: open() gives a new, empty store.
struct MemoryBackend {
  std::unique_ptr<domain::LoyaltyStore> open() { return std::make_unique<InMemoryStore>(); }
};

struct SqliteBackend {
  TempDir dir{"loyalty-storage"};
  std::unique_ptr<domain::LoyaltyStore> open() {
    return openSqlite(sqliteOptions(dir.file("loyalty.db")));
  }
};

inline domain::TxnKey txnKey(const std::string& txn) {
  return domain::TxnKey{"S001", "T01", "2026-03-14", txn};
}

inline domain::SaleLine saleLine(int64_t line, const std::string& sku, int64_t quantity,
                                 int64_t unitPrice, bool earns = true) {
  domain::SaleLine result;
  result.line = line;
  result.sku = sku;
  result.quantity = quantity;
  result.unitPrice = base::Money(unitPrice);
  result.earns = earns;
  return result;
}

// A sale of customerId under txnKey(txn) with the given lines and one cash tender.
inline domain::Sale makeSale(const std::string& txn, int64_t customerId,
                             std::vector<domain::SaleLine> lines) {
  domain::Sale sale;
  sale.key = txnKey(txn);
  sale.fingerprint = 0x1234'5678'9abc'def0ULL;
  sale.customerId = customerId;
  sale.lines = std::move(lines);
  int64_t total = 0;
  for (const domain::SaleLine& line : sale.lines) {
    total += line.amount().value();
  }
  sale.total = base::Money(total);
  sale.tenders.push_back(domain::Tender{"cash", sale.total});
  sale.pointsEarned = base::Points(total / 100);
  sale.balanceAfter = sale.pointsEarned;
  sale.createdAtMs = 1'700'000'000'000;
  return sale;
}

// Enrols card in its own write and returns the customer.
inline domain::Customer enrol(domain::LoyaltyStore& store, const std::string& card,
                              int64_t nowMs = 1'000) {
  domain::Customer customer;
  base::Status status = store.write([&](domain::StoreWriter& writer) -> base::Status {
    base::Result<domain::Customer> inserted = writer.insertCustomer(card, nowMs);
    if (!inserted.ok()) {
      return inserted.error();
    }
    customer = *inserted;
    return base::okStatus();
  });
  REQUIRE(status.ok());
  return customer;
}

// Stores sale in its own write and returns its id.
inline int64_t storeSale(domain::LoyaltyStore& store, const domain::Sale& sale) {
  int64_t id = 0;
  base::Status status = store.write([&](domain::StoreWriter& writer) -> base::Status {
    base::Result<int64_t> inserted = writer.insertSale(sale);
    if (!inserted.ok()) {
      return inserted.error();
    }
    id = *inserted;
    return base::okStatus();
  });
  INFO((status.ok() ? std::string() : status.error().message));
  REQUIRE(status.ok());
  return id;
}

// Reads the sale under key through a write (StoreWriter::findSale); the write stores nothing.
inline std::optional<domain::Sale> readSale(domain::LoyaltyStore& store,
                                            const domain::TxnKey& key) {
  std::optional<domain::Sale> sale;
  base::Status status = store.write([&](domain::StoreWriter& writer) -> base::Status {
    base::Result<std::optional<domain::Sale>> found = writer.findSale(key);
    if (!found.ok()) {
      return found.error();
    }
    sale = *found;
    return base::okStatus();
  });
  REQUIRE(status.ok());
  return sale;
}

// Runs f(writer) in its own write and returns f's result: the write stores what f wrote when f
// succeeds, nothing when it fails. When the write itself fails, its error.
template <typename F>
auto inWrite(domain::LoyaltyStore& store, F&& f) {
  using R = decltype(f(std::declval<domain::StoreWriter&>()));  // a Result<T> or Status
  std::optional<R> out;
  base::Status status = store.write([&](domain::StoreWriter& writer) -> base::Status {
    out.emplace(f(writer));
    return out->ok() ? base::okStatus() : base::Status(out->error());
  });
  if (!status.ok() || !out) {
    return R(status.ok() ? base::makeError(base::ErrorCode::kInternal, "fn did not run")
                         : status.error());
  }
  return std::move(*out);
}

}  // namespace loyalty::core::storage::testing

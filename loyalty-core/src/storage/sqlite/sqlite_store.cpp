#include "storage/sqlite/sqlite_store.h"

#include <algorithm>
#include <exception>
#include <filesystem>
#include <functional>
#include <limits>
#include <system_error>
#include <utility>

#include "storage/sqlite/schema.h"
#include "storage/sqlite/sqlite_connection.h"

namespace loyalty::core::storage {

using base::ErrorCode;
using base::Result;
using base::Status;
using domain::Customer;
using domain::LedgerEntry;
using domain::LedgerKind;
using domain::Money;
using domain::Points;
using domain::Product;
using domain::Refund;
using domain::RefundedLine;
using domain::Sale;
using domain::SaleLine;
using domain::Tender;
using domain::TxnKey;

namespace {

// ---- The statements, prepared once per connection (the slot is the enumerator) ----

enum Sql : size_t {
  kBeginWrite,
  kBeginRead,
  kCommit,
  kRollback,
  kSavepoint,
  kRelease,
  kRollbackTo,
  kOpSavepoint,
  kOpRelease,
  kOpRollbackTo,
  kFindCustomer,
  kFindCustomerById,
  kInsertCustomer,
  kFindSale,
  kLinesOfSale,
  kTendersOfSale,
  kFindRefund,
  kLinesOfRefund,
  kInsertSale,
  kInsertSaleLine,
  kInsertSaleLines,
  kInsertTender,
  kInsertRefund,
  kInsertRefundLine,
  kAddRefunded,
  kAddToBalance,
  kInsertLedger,
  kUpsertProduct,
  kSalesOf,
  kLinesOfSalesOf,
  kTendersOfSalesOf,
  kLedgerOf,
  kProducts,
  kFindHabitProfile,
  kSaveHabitProfile,
};

#define LOYALTY_SALE_COLUMNS                                                                  \
  "id, store, terminal, business_date, txn, fingerprint, customer_id, total, points_earned, " \
  "balance_after, created_at_ms"
#define LOYALTY_LINE_COLUMNS "line, sku, quantity, unit_price, earns, refunded_quantity"
#define LOYALTY_KEY_MATCHES "store = ?1 AND terminal = ?2 AND business_date = ?3 AND txn = ?4"
#define LOYALTY_LINE_ROW "(?, ?, ?, ?, ?, ?, ?)"
#define LOYALTY_SALES_OF "SELECT id FROM sales WHERE customer_id = ?1 ORDER BY id DESC LIMIT ?2"

const char* sqlText(Sql sql) {
  switch (sql) {
    case kBeginWrite:
      return "BEGIN IMMEDIATE";
    case kBeginRead:
      return "BEGIN";
    case kCommit:
      return "COMMIT";
    case kRollback:
      return "ROLLBACK";
    case kSavepoint:
      return "SAVEPOINT job";
    case kRelease:
      return "RELEASE job";
    case kRollbackTo:
      return "ROLLBACK TO job";
    case kOpSavepoint:
      return "SAVEPOINT op";
    case kOpRelease:
      return "RELEASE op";
    case kOpRollbackTo:
      return "ROLLBACK TO op";
    case kFindCustomer:
      return "SELECT id, card, tier, balance, enrolled_at_ms FROM customers WHERE card = ?1";
    case kFindCustomerById:
      return "SELECT id, card, tier, balance, enrolled_at_ms FROM customers WHERE id = ?1";
    case kInsertCustomer:
      return "INSERT INTO customers(card, tier, balance, enrolled_at_ms) "
             "VALUES (?1, 'base', 0, ?2)";
    case kFindSale:
      return "SELECT " LOYALTY_SALE_COLUMNS " FROM sales WHERE " LOYALTY_KEY_MATCHES;
    case kLinesOfSale:
      return "SELECT " LOYALTY_LINE_COLUMNS " FROM sale_lines WHERE sale_id = ?1 ORDER BY line";
    case kTendersOfSale:
      return "SELECT type, amount FROM sale_tenders WHERE sale_id = ?1 ORDER BY seq";
    case kFindRefund:
      return "SELECT id, fingerprint, sale_id, customer_id, amount, points_reversed, "
             "balance_after, created_at_ms FROM refunds WHERE " LOYALTY_KEY_MATCHES;
    case kLinesOfRefund:
      return "SELECT line, quantity FROM refund_lines WHERE refund_id = ?1 ORDER BY seq";
    case kInsertSale:
      return "INSERT INTO sales(store, terminal, business_date, txn, fingerprint, customer_id, "
             "total, points_earned, balance_after, created_at_ms) "
             "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
    case kInsertSaleLine:
      return "INSERT INTO sale_lines(sale_id, line, sku, quantity, unit_price, earns, "
             "refunded_quantity) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
    case kInsertSaleLines:  // kLinesPerInsert rows
      return "INSERT INTO sale_lines(sale_id, line, sku, quantity, unit_price, earns, "
             "refunded_quantity) VALUES " LOYALTY_LINE_ROW ", " LOYALTY_LINE_ROW
             ", " LOYALTY_LINE_ROW ", " LOYALTY_LINE_ROW ", " LOYALTY_LINE_ROW ", " LOYALTY_LINE_ROW
             ", " LOYALTY_LINE_ROW ", " LOYALTY_LINE_ROW;
    case kInsertTender:
      return "INSERT INTO sale_tenders(sale_id, seq, type, amount) VALUES (?1, ?2, ?3, ?4)";
    case kInsertRefund:
      return "INSERT INTO refunds(store, terminal, business_date, txn, fingerprint, sale_id, "
             "customer_id, amount, points_reversed, balance_after, created_at_ms) "
             "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
    case kInsertRefundLine:
      return "INSERT INTO refund_lines(refund_id, seq, line, quantity) VALUES (?1, ?2, ?3, ?4)";
    case kAddRefunded:
      return "UPDATE sale_lines SET refunded_quantity = refunded_quantity + ?3 "
             "WHERE sale_id = ?1 AND line = ?2";
    case kAddToBalance:
      return "UPDATE customers SET balance = balance + ?2 WHERE id = ?1 RETURNING balance";
    case kInsertLedger:
      return "INSERT INTO ledger(customer_id, kind, points, sale_id, refund_id, created_at_ms) "
             "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
    case kUpsertProduct:
      return "INSERT INTO products(sku, name, category_path, brand) VALUES (?1, ?2, ?3, ?4) "
             "ON CONFLICT(sku) DO UPDATE SET name = excluded.name, "
             "category_path = excluded.category_path, brand = excluded.brand";
    case kSalesOf:
      return "SELECT " LOYALTY_SALE_COLUMNS
             " FROM sales WHERE customer_id = ?1 ORDER BY id DESC LIMIT ?2";
    case kLinesOfSalesOf:
      return "SELECT sale_id, " LOYALTY_LINE_COLUMNS
             " FROM sale_lines WHERE sale_id IN (" LOYALTY_SALES_OF ") ORDER BY sale_id, line";
    case kTendersOfSalesOf:
      return "SELECT sale_id, type, amount FROM sale_tenders WHERE sale_id IN (" LOYALTY_SALES_OF
             ") ORDER BY sale_id, seq";
    case kLedgerOf:
      return "SELECT id, customer_id, kind, points, sale_id, refund_id, created_at_ms "
             "FROM ledger WHERE customer_id = ?1 ORDER BY id";
    case kProducts:
      return "SELECT sku, name, category_path, brand FROM products ORDER BY sku";
    case kFindHabitProfile:
      return "SELECT profile FROM habit_profiles WHERE customer_id = ?1";
    case kSaveHabitProfile:
      return "INSERT INTO habit_profiles(customer_id, profile, updated_at_ms) VALUES (?1, ?2, ?3) "
             "ON CONFLICT(customer_id) DO UPDATE SET profile = excluded.profile, "
             "updated_at_ms = excluded.updated_at_ms";
  }
  return "";  // unreachable: every enumerator is handled above
}

#undef LOYALTY_SALE_COLUMNS
#undef LOYALTY_LINE_COLUMNS
#undef LOYALTY_KEY_MATCHES
#undef LOYALTY_SALES_OF
#undef LOYALTY_LINE_ROW

// Rows per execution of kInsertSaleLines. Inserting lines 8 at a time instead of one by one
// cut the writer's instructions per sale of 30 lines by about a sixth.
constexpr size_t kLinesPerInsert = 8;
constexpr int kColumnsPerLine = 7;

Result<Statement> prepare(SqliteConnection& conn, Sql sql) {
  return conn.statement(sql, sqlText(sql));
}

Status runSql(SqliteConnection& conn, Sql sql, std::string_view what) {
  Result<Statement> stmt = prepare(conn, sql);
  if (!stmt.ok()) {
    return stmt.error();
  }
  return stmt->run(what);
}

// ---- Value mappings (storage-private: the numbers are part of the file format) ----

int64_t kindToInt(LedgerKind kind) {
  switch (kind) {
    case LedgerKind::kEarn:
      return 0;
    case LedgerKind::kRefund:
      return 1;
    case LedgerKind::kAdjustment:
      return 2;
    case LedgerKind::kExpiry:
      return 3;
  }
  return -1;  // rejected by the table's CHECK
}

std::optional<LedgerKind> kindFromInt(int64_t value) {
  switch (value) {
    case 0:
      return LedgerKind::kEarn;
    case 1:
      return LedgerKind::kRefund;
    case 2:
      return LedgerKind::kAdjustment;
    case 3:
      return LedgerKind::kExpiry;
    default:
      return std::nullopt;
  }
}

// A customer id of 0 means "no customer" and is stored as NULL.
std::optional<int64_t> customerOrNull(int64_t customerId) {
  return customerId == 0 ? std::nullopt : std::optional<int64_t>(customerId);
}

int64_t fingerprintToInt(uint64_t fingerprint) { return static_cast<int64_t>(fingerprint); }
uint64_t fingerprintFromInt(int64_t value) { return static_cast<uint64_t>(value); }

// ---- Row readers (column lists as in sqlText) ----

Customer customerFromRow(const Statement& row) {
  Customer customer;
  customer.id = row.int64(0);
  customer.card = row.text(1);
  customer.tier = row.text(2);
  customer.balance = Points(row.int64(3));
  customer.enrolledAtMs = row.int64(4);
  return customer;
}

Sale saleFromRow(const Statement& row) {
  Sale sale;
  sale.id = row.int64(0);
  sale.key = TxnKey{row.text(1), row.text(2), row.text(3), row.text(4)};
  sale.fingerprint = fingerprintFromInt(row.int64(5));
  sale.customerId = row.optionalInt64(6).value_or(0);
  sale.total = Money(row.int64(7));
  sale.pointsEarned = Points(row.int64(8));
  sale.balanceAfter = Points(row.int64(9));
  sale.createdAtMs = row.int64(10);
  return sale;
}

SaleLine lineFromRow(const Statement& row, int first) {
  SaleLine line;
  line.line = row.int64(first);
  line.sku = row.text(first + 1);
  line.quantity = row.int64(first + 2);
  line.unitPrice = Money(row.int64(first + 3));
  line.earns = row.int64(first + 4) != 0;
  line.refundedQuantity = row.int64(first + 5);
  return line;
}

// The customer found by sql (kFindCustomer or kFindCustomerById) with value bound to ?1.
template <typename Value>
Result<std::optional<Customer>> queryCustomer(SqliteConnection& conn, Sql sql, const Value& value) {
  constexpr std::string_view kWhat = "find customer";
  Result<Statement> stmt = prepare(conn, sql);
  if (!stmt.ok()) {
    return stmt.error();
  }
  if (Status bound = stmt->bind(kWhat, value); !bound.ok()) {
    return bound.error();
  }
  Result<bool> row = stmt->step(kWhat);
  if (!row.ok()) {
    return row.error();
  }
  if (!*row) {
    return std::optional<Customer>();
  }
  return std::optional<Customer>(customerFromRow(*stmt));
}

Result<std::optional<std::string>> queryHabitProfile(SqliteConnection& conn, int64_t customerId) {
  constexpr std::string_view kWhat = "find habit profile";
  Result<Statement> stmt = prepare(conn, kFindHabitProfile);
  if (!stmt.ok()) {
    return stmt.error();
  }
  if (Status bound = stmt->bind(kWhat, customerId); !bound.ok()) {
    return bound.error();
  }
  Result<bool> row = stmt->step(kWhat);
  if (!row.ok()) {
    return row.error();
  }
  if (!*row) {
    return std::optional<std::string>();
  }
  return std::optional<std::string>(stmt->blob(0));
}

Status bindKey(Statement& stmt, std::string_view what, const TxnKey& key) {
  return stmt.bind(what, key.store, key.terminal, key.businessDate, key.txn);
}

// ---- SqliteWriter: the StoreWriter bound to the write connection inside a batch ----

class SqliteWriter final : public domain::StoreWriter {
 public:
  explicit SqliteWriter(SqliteConnection& conn) : conn_(conn) {}

  Result<std::optional<Customer>> findCustomer(const std::string& card) override {
    return queryCustomer(conn_, kFindCustomer, card);
  }

  Result<std::optional<Customer>> findCustomerById(int64_t customerId) override {
    return queryCustomer(conn_, kFindCustomerById, customerId);
  }

  Result<Customer> insertCustomer(const std::string& card, int64_t nowMs) override {
    constexpr std::string_view kWhat = "insert customer";
    Result<Statement> stmt = prepare(conn_, kInsertCustomer);
    if (!stmt.ok()) {
      return stmt.error();
    }
    if (Status s = stmt->bind(kWhat, card, nowMs); !s.ok()) {
      return s.error();
    }
    if (Status s = stmt->run(kWhat); !s.ok()) {
      return s.error();
    }
    Customer customer;
    customer.id = stmt->lastInsertRowid();
    customer.card = card;
    customer.enrolledAtMs = nowMs;
    return customer;
  }

  Result<std::optional<Sale>> findSale(const TxnKey& key) override {
    constexpr std::string_view kWhat = "find sale";
    std::optional<Sale> sale;
    {
      Result<Statement> stmt = prepare(conn_, kFindSale);
      if (!stmt.ok()) {
        return stmt.error();
      }
      if (Status s = bindKey(*stmt, kWhat, key); !s.ok()) {
        return s.error();
      }
      Result<bool> row = stmt->step(kWhat);
      if (!row.ok()) {
        return row.error();
      }
      if (!*row) {
        return std::optional<Sale>();
      }
      sale = saleFromRow(*stmt);
    }
    {
      Result<Statement> stmt = prepare(conn_, kLinesOfSale);
      if (!stmt.ok()) {
        return stmt.error();
      }
      if (Status s = stmt->bind(kWhat, sale->id); !s.ok()) {
        return s.error();
      }
      for (;;) {
        Result<bool> row = stmt->step(kWhat);
        if (!row.ok()) {
          return row.error();
        }
        if (!*row) {
          break;
        }
        sale->lines.push_back(lineFromRow(*stmt, 0));
      }
    }
    {
      Result<Statement> stmt = prepare(conn_, kTendersOfSale);
      if (!stmt.ok()) {
        return stmt.error();
      }
      if (Status s = stmt->bind(kWhat, sale->id); !s.ok()) {
        return s.error();
      }
      for (;;) {
        Result<bool> row = stmt->step(kWhat);
        if (!row.ok()) {
          return row.error();
        }
        if (!*row) {
          break;
        }
        sale->tenders.push_back(Tender{stmt->text(0), Money(stmt->int64(1))});
      }
    }
    return sale;
  }

  Result<std::optional<Refund>> findRefund(const TxnKey& key) override {
    constexpr std::string_view kWhat = "find refund";
    std::optional<Refund> refund;
    {
      Result<Statement> stmt = prepare(conn_, kFindRefund);
      if (!stmt.ok()) {
        return stmt.error();
      }
      if (Status s = bindKey(*stmt, kWhat, key); !s.ok()) {
        return s.error();
      }
      Result<bool> row = stmt->step(kWhat);
      if (!row.ok()) {
        return row.error();
      }
      if (!*row) {
        return std::optional<Refund>();
      }
      refund.emplace();
      refund->id = stmt->int64(0);
      refund->key = key;
      refund->fingerprint = fingerprintFromInt(stmt->int64(1));
      refund->saleId = stmt->int64(2);
      refund->customerId = stmt->optionalInt64(3).value_or(0);
      refund->amount = Money(stmt->int64(4));
      refund->pointsReversed = Points(stmt->int64(5));
      refund->balanceAfter = Points(stmt->int64(6));
      refund->createdAtMs = stmt->int64(7);
    }
    Result<Statement> stmt = prepare(conn_, kLinesOfRefund);
    if (!stmt.ok()) {
      return stmt.error();
    }
    if (Status s = stmt->bind(kWhat, refund->id); !s.ok()) {
      return s.error();
    }
    for (;;) {
      Result<bool> row = stmt->step(kWhat);
      if (!row.ok()) {
        return row.error();
      }
      if (!*row) {
        break;
      }
      refund->lines.push_back(RefundedLine{stmt->int64(0), stmt->int64(1)});
    }
    return refund;
  }

  Result<int64_t> insertSale(const Sale& sale) override {
    return atomically<int64_t>([&] { return insertSaleRows(sale); });
  }

  Result<int64_t> insertRefund(const Refund& refund) override {
    return atomically<int64_t>([&] { return insertRefundRows(refund); });
  }

  Result<Points> appendLedger(const LedgerEntry& entry) override {
    return atomically<Points>([&] { return appendLedgerRows(entry); });
  }

  Status upsertProduct(const Product& product) override {
    constexpr std::string_view kWhat = "upsert product";
    Result<Statement> stmt = prepare(conn_, kUpsertProduct);
    if (!stmt.ok()) {
      return stmt.error();
    }
    Status s = stmt->bind(kWhat, product.sku, product.name, product.categoryPath, product.brand);
    if (s.ok()) {
      s = stmt->run(kWhat);
    }
    return s;
  }

  Result<std::optional<std::string>> findHabitProfile(int64_t customerId) override {
    return queryHabitProfile(conn_, customerId);
  }

  Status saveHabitProfile(int64_t customerId, std::string_view profile,
                          int64_t updatedAtMs) override {
    constexpr std::string_view kWhat = "save habit profile";
    Result<Statement> stmt = prepare(conn_, kSaveHabitProfile);
    if (!stmt.ok()) {
      return stmt.error();
    }
    Status s = stmt->bind(kWhat, customerId, Blob{profile}, updatedAtMs);
    if (s.ok()) {
      s = stmt->run(kWhat);
    }
    return s;
  }

 private:
  // Runs body, a method of several statements, so that it changes everything or nothing: a
  // failed call leaves no partial rows even if the fn goes on after the error.
  template <typename T, typename Body>
  Result<T> atomically(Body&& body) {
    if (Status s = runSql(conn_, kOpSavepoint, "savepoint"); !s.ok()) {
      return s.error();
    }
    Result<T> result = body();
    if (result.ok()) {
      Status released = runSql(conn_, kOpRelease, "release savepoint");
      if (released.ok()) {
        return result;
      }
      result = released.error();
    }
    // Best effort: if even this fails, the batch's own checks fail the fn's transaction.
    if (runSql(conn_, kOpRollbackTo, "roll back savepoint").ok()) {
      (void)runSql(conn_, kOpRelease, "release savepoint");
    }
    return result;
  }

  Result<int64_t> insertSaleRows(const Sale& sale) {
    constexpr std::string_view kWhat = "insert sale";
    int64_t saleId = 0;
    {
      Result<Statement> stmt = prepare(conn_, kInsertSale);
      if (!stmt.ok()) {
        return stmt.error();
      }
      Status s = stmt->bind(kWhat, sale.key.store, sale.key.terminal, sale.key.businessDate,
                            sale.key.txn, fingerprintToInt(sale.fingerprint),
                            customerOrNull(sale.customerId), sale.total.value(),
                            sale.pointsEarned.value(), sale.balanceAfter.value(), sale.createdAtMs);
      if (s.ok()) {
        s = stmt->run(kWhat);
      }
      if (!s.ok()) {
        return s.error();
      }
      saleId = stmt->lastInsertRowid();
    }
    if (Status s = insertSaleLines(saleId, sale.lines); !s.ok()) {
      return s.error();
    }
    {
      constexpr std::string_view kWhatTender = "insert sale tender";
      Result<Statement> stmt = prepare(conn_, kInsertTender);
      if (!stmt.ok()) {
        return stmt.error();
      }
      int64_t seq = 0;
      for (const Tender& tender : sale.tenders) {
        Status s = stmt->bind(kWhatTender, saleId, seq++, tender.type, tender.amount.value());
        if (s.ok()) {
          s = stmt->run(kWhatTender);
        }
        if (!s.ok()) {
          return s.error();
        }
        stmt->reset();
      }
    }
    return saleId;
  }

  // Inserts lines kLinesPerInsert at a time, then the remainder one by one.
  Status insertSaleLines(int64_t saleId, const std::vector<SaleLine>& lines) {
    constexpr std::string_view kWhat = "insert sale lines";
    size_t next = 0;
    if (lines.size() >= kLinesPerInsert) {
      Result<Statement> stmt = prepare(conn_, kInsertSaleLines);
      if (!stmt.ok()) {
        return stmt.error();
      }
      for (; next + kLinesPerInsert <= lines.size(); next += kLinesPerInsert) {
        Status s = base::okStatus();
        for (size_t row = 0; row < kLinesPerInsert && s.ok(); ++row) {
          const SaleLine& line = lines[next + row];
          s = stmt->bindFrom(1 + static_cast<int>(row) * kColumnsPerLine, kWhat, saleId, line.line,
                             line.sku, line.quantity, line.unitPrice.value(), line.earns,
                             line.refundedQuantity);
        }
        if (s.ok()) {
          s = stmt->run(kWhat);
        }
        if (!s.ok()) {
          return s;
        }
        stmt->reset();
      }
    }
    if (next == lines.size()) {
      return base::okStatus();
    }
    Result<Statement> stmt = prepare(conn_, kInsertSaleLine);
    if (!stmt.ok()) {
      return stmt.error();
    }
    for (; next < lines.size(); ++next) {
      const SaleLine& line = lines[next];
      Status s = stmt->bind(kWhat, saleId, line.line, line.sku, line.quantity,
                            line.unitPrice.value(), line.earns, line.refundedQuantity);
      if (s.ok()) {
        s = stmt->run(kWhat);
      }
      if (!s.ok()) {
        return s;
      }
      stmt->reset();
    }
    return base::okStatus();
  }

  Result<int64_t> insertRefundRows(const Refund& refund) {
    constexpr std::string_view kWhat = "insert refund";
    int64_t refundId = 0;
    {
      Result<Statement> stmt = prepare(conn_, kInsertRefund);
      if (!stmt.ok()) {
        return stmt.error();
      }
      Status s = stmt->bind(kWhat, refund.key.store, refund.key.terminal, refund.key.businessDate,
                            refund.key.txn, fingerprintToInt(refund.fingerprint), refund.saleId,
                            customerOrNull(refund.customerId), refund.amount.value(),
                            refund.pointsReversed.value(), refund.balanceAfter.value(),
                            refund.createdAtMs);
      if (s.ok()) {
        s = stmt->run(kWhat);
      }
      if (!s.ok()) {
        return s.error();
      }
      refundId = stmt->lastInsertRowid();
    }
    constexpr std::string_view kWhatLine = "insert refund line";
    constexpr std::string_view kWhatUpdate = "update refunded quantity";
    Result<Statement> insertLine = prepare(conn_, kInsertRefundLine);
    if (!insertLine.ok()) {
      return insertLine.error();
    }
    Result<Statement> addRefunded = prepare(conn_, kAddRefunded);
    if (!addRefunded.ok()) {
      return addRefunded.error();
    }
    int64_t seq = 0;
    for (const RefundedLine& line : refund.lines) {
      Status s = insertLine->bind(kWhatLine, refundId, seq++, line.line, line.quantity);
      if (s.ok()) {
        s = insertLine->run(kWhatLine);
      }
      if (!s.ok()) {
        return s.error();
      }
      insertLine->reset();
      s = addRefunded->bind(kWhatUpdate, refund.saleId, line.line, line.quantity);
      if (s.ok()) {
        s = addRefunded->run(kWhatUpdate);
      }
      if (!s.ok()) {
        return s.error();
      }
      if (addRefunded->changes() != 1) {
        return base::makeError(ErrorCode::kUnknownLine,
                               "refund of line " + std::to_string(line.line) + ": sale " +
                                   std::to_string(refund.saleId) + " has no such line");
      }
      addRefunded->reset();
    }
    return refundId;
  }

  Result<Points> appendLedgerRows(const LedgerEntry& entry) {
    constexpr std::string_view kWhatBalance = "update balance";
    Points balance;
    {
      Result<Statement> stmt = prepare(conn_, kAddToBalance);
      if (!stmt.ok()) {
        return stmt.error();
      }
      if (Status s = stmt->bind(kWhatBalance, entry.customerId, entry.points.value()); !s.ok()) {
        return s.error();
      }
      Result<bool> row = stmt->step(kWhatBalance);
      if (!row.ok()) {
        return row.error();
      }
      if (!*row) {
        return base::makeError(ErrorCode::kUnknownCustomer,
                               "append ledger: no customer " + std::to_string(entry.customerId));
      }
      balance = Points(stmt->int64(0));
      if (Result<bool> done = stmt->step(kWhatBalance); !done.ok()) {
        return done.error();
      }
    }
    constexpr std::string_view kWhat = "append ledger";
    Result<Statement> stmt = prepare(conn_, kInsertLedger);
    if (!stmt.ok()) {
      return stmt.error();
    }
    Status s = stmt->bind(kWhat, entry.customerId, kindToInt(entry.kind), entry.points.value(),
                          entry.saleId, entry.refundId, entry.createdAtMs);
    if (s.ok()) {
      s = stmt->run(kWhat);
    }
    if (!s.ok()) {
      return s.error();
    }
    return balance;
  }

  SqliteConnection& conn_;
};

// ---- Reads of salesOf, inside one read transaction ----

// sales is ordered by id, newest (largest) first. Returns the sale with this id, or null.
Sale* saleById(std::vector<Sale>& sales, int64_t id) {
  auto it = std::lower_bound(sales.begin(), sales.end(), id,
                             [](const Sale& sale, int64_t wanted) { return sale.id > wanted; });
  return it != sales.end() && it->id == id ? &*it : nullptr;
}

Result<std::vector<Sale>> querySalesOf(SqliteConnection& conn, int64_t customerId, int64_t limit) {
  constexpr std::string_view kWhat = "sales of customer";
  std::vector<Sale> sales;
  {
    Result<Statement> stmt = prepare(conn, kSalesOf);
    if (!stmt.ok()) {
      return stmt.error();
    }
    if (Status s = stmt->bind(kWhat, customerId, limit); !s.ok()) {
      return s.error();
    }
    for (;;) {
      Result<bool> row = stmt->step(kWhat);
      if (!row.ok()) {
        return row.error();
      }
      if (!*row) {
        break;
      }
      sales.push_back(saleFromRow(*stmt));
    }
  }
  if (sales.empty()) {
    return sales;
  }
  {
    Result<Statement> stmt = prepare(conn, kLinesOfSalesOf);
    if (!stmt.ok()) {
      return stmt.error();
    }
    if (Status s = stmt->bind(kWhat, customerId, limit); !s.ok()) {
      return s.error();
    }
    for (;;) {
      Result<bool> row = stmt->step(kWhat);
      if (!row.ok()) {
        return row.error();
      }
      if (!*row) {
        break;
      }
      if (Sale* sale = saleById(sales, stmt->int64(0)); sale != nullptr) {
        sale->lines.push_back(lineFromRow(*stmt, 1));
      }
    }
  }
  {
    Result<Statement> stmt = prepare(conn, kTendersOfSalesOf);
    if (!stmt.ok()) {
      return stmt.error();
    }
    if (Status s = stmt->bind(kWhat, customerId, limit); !s.ok()) {
      return s.error();
    }
    for (;;) {
      Result<bool> row = stmt->step(kWhat);
      if (!row.ok()) {
        return row.error();
      }
      if (!*row) {
        break;
      }
      if (Sale* sale = saleById(sales, stmt->int64(0)); sale != nullptr) {
        sale->tenders.push_back(Tender{stmt->text(1), Money(stmt->int64(2))});
      }
    }
  }
  return sales;
}

Status badOption(const std::string& message) {
  return base::makeError(ErrorCode::kValueOutOfRange, "SqliteOptions: " + message);
}

Status checkOptions(const SqliteOptions& options) {
  if (options.path.empty()) {
    return badOption("path is empty");
  }
  if (options.maxBatch < 1) {
    return badOption("maxBatch must be at least 1");
  }
  if (options.readConnections < 1) {
    return badOption("readConnections must be at least 1");
  }
  if (options.busyTimeoutMs < 0) {
    return badOption("busyTimeoutMs must not be negative");
  }
  return base::okStatus();
}

Status checkDirectory(const std::string& path) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) {
    return base::okStatus();  // the working directory
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return base::makeError(ErrorCode::kStorageFailure, "open database " + path + ": directory " +
                                                           dir.string() + " does not exist");
  }
  return base::okStatus();
}

}  // namespace

// ---- Write queue ----

// One write() call waiting for the writer. Lives on the caller's stack; guarded by mu_.
struct SqliteStore::Job {
  explicit Job(const WriteFn* f) : fn(f) {}
  const WriteFn* fn;
  Status result;
  bool done = false;
  std::condition_variable cv;
};

// A read connection taken from the pool for the lifetime of the lease.
class SqliteStore::ReadLease {
 public:
  ReadLease(SqliteStore& store, SqliteConnection* conn) : store_(store), conn_(conn) {}
  ~ReadLease() {
    {
      std::lock_guard<std::mutex> lock(store_.readMu_);
      store_.freeReaders_.push_back(conn_);
    }
    store_.readCv_.notify_one();
  }
  ReadLease(const ReadLease&) = delete;
  ReadLease& operator=(const ReadLease&) = delete;

  SqliteConnection& conn() { return *conn_; }

 private:
  SqliteStore& store_;
  SqliteConnection* conn_;
};

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const SqliteOptions& options) {
  if (Status s = checkOptions(options); !s.ok()) {
    return s.error();
  }
  if (Status s = checkDirectory(options.path); !s.ok()) {
    return s.error();
  }
  Result<std::unique_ptr<SqliteConnection>> opened = SqliteConnection::open(
      options.path, SqliteConnection::Mode::kReadWrite, options.busyTimeoutMs);
  if (!opened.ok()) {
    return opened.error();
  }
  std::unique_ptr<SqliteConnection> writeConn = std::move(opened).value();

  Result<std::string> mode = writeConn->queryText("PRAGMA journal_mode = WAL", "enable WAL");
  if (!mode.ok()) {
    return mode.error();
  }
  if (*mode != "wal") {
    return base::makeError(ErrorCode::kStorageFailure,
                           "enable WAL: " + options.path + " stays in journal mode " + *mode);
  }
  const char* synchronous =
      options.synchronousFull ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL";
  if (Status s = writeConn->exec(synchronous, "set synchronous"); !s.ok()) {
    return s.error();
  }
  if (Status s = writeConn->exec("PRAGMA foreign_keys = ON", "enable foreign keys"); !s.ok()) {
    return s.error();
  }
  // The per-fn savepoints journal the pages they change; keep that journal in memory (with the
  // default, a temporary file, it doubled the writer's write() system calls).
  if (Status s = writeConn->exec("PRAGMA temp_store = MEMORY", "set temp_store"); !s.ok()) {
    return s.error();
  }
  if (Status s = migrateSqliteSchema(writeConn->handle()); !s.ok()) {
    return s.error();
  }

  std::vector<std::unique_ptr<SqliteConnection>> readConns;
  for (int i = 0; i < options.readConnections; ++i) {
    Result<std::unique_ptr<SqliteConnection>> reader = SqliteConnection::open(
        options.path, SqliteConnection::Mode::kReadOnly, options.busyTimeoutMs);
    if (!reader.ok()) {
      return reader.error();
    }
    readConns.push_back(std::move(reader).value());
  }

  try {
    return std::unique_ptr<SqliteStore>(
        new SqliteStore(options, std::move(writeConn), std::move(readConns)));
  } catch (const std::system_error& e) {
    return base::makeError(ErrorCode::kInternal,
                           std::string("start the SQLite writer thread: ") + e.what());
  }
}

SqliteStore::SqliteStore(const SqliteOptions& options, std::unique_ptr<SqliteConnection> writeConn,
                         std::vector<std::unique_ptr<SqliteConnection>> readConns)
    : maxBatch_(options.maxBatch),
      writeConn_(std::move(writeConn)),
      readConns_(std::move(readConns)) {
  for (const std::unique_ptr<SqliteConnection>& conn : readConns_) {
    freeReaders_.push_back(conn.get());
  }
  writer_ = std::thread([this] { writerLoop(); });
  writerId_ = writer_.get_id();
}

SqliteStore::~SqliteStore() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  queueCv_.notify_all();
  if (writer_.joinable()) {
    writer_.join();
  }
  // Readers first: closing the write connection last checkpoints the WAL and removes it.
  freeReaders_.clear();
  readConns_.clear();
  writeConn_.reset();
}

Status SqliteStore::write(const WriteFn& fn) {
  if (std::this_thread::get_id() == writerId_) {
    return base::makeError(ErrorCode::kInternal, "write() called from inside a write fn");
  }
  Job job(&fn);
  std::unique_lock<std::mutex> lock(mu_);
  if (stopping_) {
    return base::makeError(ErrorCode::kStorageFailure, "the store is closing");
  }
  queue_.push_back(&job);
  queueCv_.notify_one();
  job.cv.wait(lock, [&job] { return job.done; });
  return std::move(job.result);
}

size_t SqliteStore::queuedForTest() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

void SqliteStore::writerLoop() {
  std::vector<Job*> batch;
  batch.reserve(static_cast<size_t>(maxBatch_));
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      queueCv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) {
        return;  // stopping, and every queued write is done
      }
      while (!queue_.empty() && batch.size() < static_cast<size_t>(maxBatch_)) {
        batch.push_back(queue_.front());
        queue_.pop_front();
      }
    }
    runBatch(batch);
    {
      // Notify under the lock: a Job lives on its caller's stack and is gone once it sees done.
      std::lock_guard<std::mutex> lock(mu_);
      for (Job* job : batch) {
        job->done = true;
        job->cv.notify_one();
      }
    }
    batch.clear();
  }
}

void SqliteStore::runBatch(std::vector<Job*>& batch) {
  batches_.fetch_add(1, std::memory_order_relaxed);
  jobs_.fetch_add(batch.size(), std::memory_order_relaxed);
  SqliteConnection& conn = *writeConn_;

  auto failAll = [&batch](const base::Error& error) {
    for (Job* job : batch) {
      job->result = error;
    }
  };
  auto abandon = [&conn]() {
    if (!conn.autocommit()) {
      (void)conn.exec("ROLLBACK", "roll back batch");
    }
  };

  if (Status begun = runSql(conn, kBeginWrite, "begin write transaction"); !begun.ok()) {
    abandon();
    failAll(begun.error());
    return;
  }
  SqliteWriter writer(conn);
  for (Job* job : batch) {
    if (Status s = runSql(conn, kSavepoint, "savepoint"); !s.ok()) {
      abandon();
      failAll(s.error());
      return;
    }
    Status result;
    try {
      result = (*job->fn)(writer);
    } catch (const std::exception& e) {
      result = base::makeError(ErrorCode::kInternal, std::string("write fn threw: ") + e.what());
    } catch (...) {
      result = base::makeError(ErrorCode::kInternal, "write fn threw a non-exception");
    }
    if (conn.autocommit()) {
      // SQLite rolled the whole transaction back (I/O error, disk full, ...): the batch is lost.
      failAll(base::makeError(ErrorCode::kStorageFailure,
                              "write transaction rolled back by SQLite" +
                                  (result.ok() ? std::string() : ": " + result.error().message)));
      return;
    }
    if (result.ok()) {
      if (Status released = runSql(conn, kRelease, "release savepoint"); !released.ok()) {
        result = released;
      }
    }
    if (!result.ok()) {
      Status undone = runSql(conn, kRollbackTo, "roll back savepoint");
      if (undone.ok()) {
        undone = runSql(conn, kRelease, "release savepoint");
      }
      if (!undone.ok()) {
        abandon();
        failAll(undone.error());
        return;
      }
    }
    job->result = std::move(result);
  }
  if (Status committed = runSql(conn, kCommit, "commit"); !committed.ok()) {
    abandon();
    failAll(committed.error());
  }
}

// ---- Reads ----

SqliteStore::ReadLease SqliteStore::leaseReader() {
  std::unique_lock<std::mutex> lock(readMu_);
  readCv_.wait(lock, [this] { return !freeReaders_.empty(); });
  SqliteConnection* conn = freeReaders_.back();
  freeReaders_.pop_back();
  return ReadLease(*this, conn);
}

Result<std::optional<Customer>> SqliteStore::findCustomer(const std::string& card) {
  ReadLease lease = leaseReader();
  return queryCustomer(lease.conn(), kFindCustomer, card);
}

Result<std::vector<Sale>> SqliteStore::salesOf(int64_t customerId, size_t limit) {
  if (limit == 0) {
    return std::vector<Sale>();
  }
  const auto maxLimit = static_cast<size_t>(std::numeric_limits<int64_t>::max());
  const auto boundedLimit = static_cast<int64_t>(std::min(limit, maxLimit));
  ReadLease lease = leaseReader();
  SqliteConnection& conn = lease.conn();
  // One read transaction: the sales, their lines and their tenders come from one snapshot.
  if (Status s = runSql(conn, kBeginRead, "begin read"); !s.ok()) {
    return s.error();
  }
  Result<std::vector<Sale>> sales = querySalesOf(conn, customerId, boundedLimit);
  if (Status s = runSql(conn, kRollback, "end read"); !s.ok() && !conn.autocommit()) {
    (void)conn.exec("ROLLBACK", "end read");
  }
  return sales;
}

Result<std::vector<LedgerEntry>> SqliteStore::ledgerOf(int64_t customerId) {
  constexpr std::string_view kWhat = "ledger of customer";
  ReadLease lease = leaseReader();
  Result<Statement> stmt = prepare(lease.conn(), kLedgerOf);
  if (!stmt.ok()) {
    return stmt.error();
  }
  if (Status s = stmt->bind(kWhat, customerId); !s.ok()) {
    return s.error();
  }
  std::vector<LedgerEntry> entries;
  for (;;) {
    Result<bool> row = stmt->step(kWhat);
    if (!row.ok()) {
      return row.error();
    }
    if (!*row) {
      break;
    }
    std::optional<LedgerKind> kind = kindFromInt(stmt->int64(2));
    if (!kind) {
      return base::makeError(
          ErrorCode::kStorageFailure,
          "ledger of customer: entry " + std::to_string(stmt->int64(0)) + " has an unknown kind");
    }
    LedgerEntry entry;
    entry.id = stmt->int64(0);
    entry.customerId = stmt->int64(1);
    entry.kind = *kind;
    entry.points = Points(stmt->int64(3));
    entry.saleId = stmt->optionalInt64(4);
    entry.refundId = stmt->optionalInt64(5);
    entry.createdAtMs = stmt->int64(6);
    entries.push_back(entry);
  }
  return entries;
}

Result<std::optional<std::string>> SqliteStore::habitProfile(int64_t customerId) {
  ReadLease lease = leaseReader();
  return queryHabitProfile(lease.conn(), customerId);
}

Result<std::vector<Product>> SqliteStore::products() {
  constexpr std::string_view kWhat = "list products";
  ReadLease lease = leaseReader();
  Result<Statement> stmt = prepare(lease.conn(), kProducts);
  if (!stmt.ok()) {
    return stmt.error();
  }
  std::vector<Product> products;
  for (;;) {
    Result<bool> row = stmt->step(kWhat);
    if (!row.ok()) {
      return row.error();
    }
    if (!*row) {
      break;
    }
    products.push_back(Product{stmt->text(0), stmt->text(1), stmt->text(2), stmt->text(3)});
  }
  return products;
}

}  // namespace loyalty::core::storage

#include "storage/sqlite/sqlite_connection.h"

#include <sqlite3.h>

#include <mutex>
#include <utility>

namespace loyalty::core::storage {

using base::ErrorCode;
using base::Result;
using base::Status;

base::Error sqliteError(sqlite3* db, std::string_view what) {
  std::string message(what);
  message += ": ";
  message += db != nullptr ? sqlite3_errmsg(db) : "out of memory";
  return base::makeError(ErrorCode::kStorageFailure, std::move(message));
}

// ---- Statement ----

Statement::~Statement() {
  if (stmt_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)) {}

Result<bool> Statement::step(std::string_view what) {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  return sqliteError(db_, what);
}

Status Statement::run(std::string_view what) {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_DONE || rc == SQLITE_ROW) {
    return base::okStatus();
  }
  return sqliteError(db_, what);
}

void Statement::reset() { sqlite3_reset(stmt_); }

std::string Statement::blob(int column) const {
  const void* data = sqlite3_column_blob(stmt_, column);
  int size = sqlite3_column_bytes(stmt_, column);
  if (data == nullptr || size <= 0) {
    return std::string();
  }
  return std::string(static_cast<const char*>(data), static_cast<size_t>(size));
}

int64_t Statement::int64(int column) const { return sqlite3_column_int64(stmt_, column); }

bool Statement::isNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::optional<int64_t> Statement::optionalInt64(int column) const {
  if (isNull(column)) {
    return std::nullopt;
  }
  return int64(column);
}

std::string Statement::text(int column) const {
  const unsigned char* data = sqlite3_column_text(stmt_, column);
  int size = sqlite3_column_bytes(stmt_, column);
  if (data == nullptr) {
    return std::string();
  }
  return std::string(reinterpret_cast<const char*>(data), static_cast<size_t>(size));
}

std::optional<std::string> Statement::optionalText(int column) const {
  if (isNull(column)) {
    return std::nullopt;
  }
  return text(column);
}

int64_t Statement::changes() const { return sqlite3_changes64(db_); }

int64_t Statement::lastInsertRowid() const { return sqlite3_last_insert_rowid(db_); }

int Statement::bindValue(int index, int64_t value) {
  return sqlite3_bind_int64(stmt_, index, value);
}

int Statement::bindValue(int index, const std::string& value) {
  return sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_STATIC, SQLITE_UTF8);
}

int Statement::bindValue(int index, std::string_view value) {
  // data() of an empty view may be null, which SQLite would bind as NULL: bind "" instead.
  const char* data = value.empty() ? "" : value.data();
  return sqlite3_bind_text64(stmt_, index, data, value.size(), SQLITE_STATIC, SQLITE_UTF8);
}

int Statement::bindValue(int index, const std::optional<std::string>& value) {
  return value ? bindValue(index, *value) : bindValue(index, std::nullopt);
}

int Statement::bindValue(int index, Blob value) {
  // A zero-length blob still binds as a BLOB (not NULL): zeroblob(0).
  if (value.bytes.empty()) {
    return sqlite3_bind_zeroblob(stmt_, index, 0);
  }
  return sqlite3_bind_blob64(stmt_, index, value.bytes.data(), value.bytes.size(), SQLITE_STATIC);
}

int Statement::bindValue(int index, std::nullopt_t) { return sqlite3_bind_null(stmt_, index); }

int Statement::bindValue(int index, const std::optional<int64_t>& value) {
  return value ? bindValue(index, *value) : bindValue(index, std::nullopt);
}

// ---- SqliteConnection ----

Result<std::unique_ptr<SqliteConnection>> SqliteConnection::open(const std::string& path, Mode mode,
                                                                 int busyTimeoutMs) {
  // SQLite's memory statistics take a global mutex on every allocation of every connection;
  // nothing here reads them. Only possible before SQLite initializes (else refused: harmless).
  static std::once_flag configured;
  std::call_once(configured, [] { (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  int flags = SQLITE_OPEN_NOMUTEX;
  flags |=
      mode == Mode::kReadWrite ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    base::Error error = sqliteError(db, "open database " + path);
    sqlite3_close_v2(db);  // a handle is returned even on failure (or null: a no-op)
    return error;
  }
  sqlite3_extended_result_codes(db, 1);
  if (sqlite3_busy_timeout(db, busyTimeoutMs) != SQLITE_OK) {
    base::Error error = sqliteError(db, "set busy timeout");
    sqlite3_close_v2(db);
    return error;
  }
  return std::unique_ptr<SqliteConnection>(new SqliteConnection(db));
}

SqliteConnection::~SqliteConnection() {
  for (sqlite3_stmt* stmt : statements_) {
    sqlite3_finalize(stmt);  // null is a no-op
  }
  sqlite3_close_v2(db_);
}

Status SqliteConnection::exec(const char* sql, std::string_view what) {
  if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return sqliteError(db_, what);
  }
  return base::okStatus();
}

Result<Statement> SqliteConnection::statement(size_t slot, const char* sql) {
  if (slot >= statements_.size()) {
    statements_.resize(slot + 1, nullptr);
  }
  if (statements_[slot] == nullptr) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
      return sqliteError(db_, std::string("prepare ") + sql);
    }
    statements_[slot] = stmt;
  }
  return Statement(db_, statements_[slot]);
}

Result<std::string> SqliteConnection::queryText(const char* sql, std::string_view what) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr) != SQLITE_OK) {
    return sqliteError(db_, what);
  }
  Result<std::string> result = std::string();
  {
    Statement use(db_, stmt);  // reset before the finalize below
    Result<bool> row = use.step(what);
    if (!row.ok()) {
      result = row.error();
    } else if (*row) {
      result = use.text(0);
    }
  }
  sqlite3_finalize(stmt);
  return result;
}

bool SqliteConnection::autocommit() const { return sqlite3_get_autocommit(db_) != 0; }

}  // namespace loyalty::core::storage

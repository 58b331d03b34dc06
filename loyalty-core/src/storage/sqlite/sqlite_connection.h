// SqliteConnection and Statement: a thin RAII layer over the sqlite3 C API, private to
// storage/sqlite.
//
// A SqliteConnection owns one sqlite3 handle and a cache of prepared statements: statement(slot,
// sql) prepares sql on the first call for that slot and hands out the cached statement after
// that. A Statement is the use of one cached statement; when it goes out of scope the statement
// is reset and its bindings cleared, so it is ready for the next use. Values are only ever bound
// to placeholders. Every SQLite failure becomes base::Error{kStorageFailure, "<what>: <message>"}.
//
// Thread safety: none. Connections are opened in SQLite's multi-thread mode (no mutex of SQLite's
// own), so a connection and its Statements must be used by one thread at a time.
// Invariant: a slot always holds the statement of the same SQL text (the caller's table).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "loyalty/base/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace loyalty::core::storage {

// kStorageFailure "<what>: <sqlite3_errmsg(db)>".
base::Error sqliteError(sqlite3* db, std::string_view what);

// A value bound as a BLOB (bytes, not text). The bytes must outlive the last step().
struct Blob {
  std::string_view bytes;
};

class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Binds args to placeholders ?1, ?2, ... in order. Supported: int64_t, int, bool,
  // std::string, std::string_view, Blob, std::nullopt (NULL), std::optional<int64_t> and
  // std::optional<std::string>. Strings and blobs are bound without a copy: they must outlive
  // the last step() (never bind a temporary). A const char* is refused at compile time (it
  // would otherwise convert to bool).
  template <typename... Args>
  base::Status bind(std::string_view what, const Args&... args) {
    return bindFrom(1, what, args...);
  }
  // The same, starting at placeholder ?first (for statements inserting several rows).
  template <typename... Args>
  base::Status bindFrom(int first, std::string_view what, const Args&... args) {
    int index = first - 1;
    int rc = 0;  // SQLITE_OK
    ((rc = rc == 0 ? bindValue(++index, args) : rc), ...);
    if (rc != 0) {
      return sqliteError(db_, what);
    }
    return base::okStatus();
  }

  // One step: true when a row is available, false when the statement is done.
  base::Result<bool> step(std::string_view what);
  // Steps a statement that returns no row (INSERT, UPDATE, transaction control).
  base::Status run(std::string_view what);
  // Makes the statement ready to bind and step again (within the same use).
  void reset();

  // Column accessors for the current row (0-based columns).
  int64_t int64(int column) const;
  bool isNull(int column) const;
  std::optional<int64_t> optionalInt64(int column) const;
  std::string text(int column) const;
  std::optional<std::string> optionalText(int column) const;
  std::string blob(int column) const;

  // Rows changed by the last run() on this connection, and the rowid it inserted.
  int64_t changes() const;
  int64_t lastInsertRowid() const;

 private:
  int bindValue(int index, int64_t value);
  int bindValue(int index, int value) { return bindValue(index, static_cast<int64_t>(value)); }
  int bindValue(int index, bool value) { return bindValue(index, static_cast<int64_t>(value)); }
  int bindValue(int index, const std::string& value);
  int bindValue(int index, std::string_view value);
  int bindValue(int index, const char* value) = delete;
  int bindValue(int index, const std::optional<std::string>& value);
  int bindValue(int index, Blob value);
  int bindValue(int index, std::nullopt_t);
  int bindValue(int index, const std::optional<int64_t>& value);

  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class SqliteConnection {
 public:
  enum class Mode { kReadWrite, kReadOnly };

  // Opens (kReadWrite: creates if missing) the database file at path with the busy timeout set.
  // Other PRAGMAs are the caller's. Errors: kStorageFailure.
  static base::Result<std::unique_ptr<SqliteConnection>> open(const std::string& path, Mode mode,
                                                              int busyTimeoutMs);
  ~SqliteConnection();  // finalizes the cached statements and closes the handle
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  sqlite3* handle() const { return db_; }

  // Runs fixed SQL text (one or more statements; never built from values).
  base::Status exec(const char* sql, std::string_view what);
  // The cached statement of slot, prepared from sql on first use.
  // Requires: the same sql for a given slot on every call.
  base::Result<Statement> statement(size_t slot, const char* sql);
  // Returns the single-row, single-column text result of sql (e.g. "PRAGMA journal_mode").
  base::Result<std::string> queryText(const char* sql, std::string_view what);
  // True when no transaction is open (SQLite may roll one back on its own after some errors).
  bool autocommit() const;

 private:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}

  sqlite3* const db_;
  std::vector<sqlite3_stmt*> statements_;  // indexed by slot; null until prepared
};

}  // namespace loyalty::core::storage

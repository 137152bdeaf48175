// A thin RAII layer over the SQLite C API for the store: one connection, cached
// prepared statements, errors as exceptions carrying SQLite's result code (the
// store's public API turns them into Status values and problem kinds).
#pragma once

#include <sqlite3.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ember::store {

class SqliteError : public std::runtime_error {
 public:
  SqliteError(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  int code() const { return code_ & 0xff; }  // the primary result code
  int extended_code() const { return code_; }

 private:
  int code_;
};

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view text);
  Statement& bind_blob(int index, std::string_view bytes);

  // True while there is a row; false when done.
  bool step();
  // Runs to completion (INSERT/UPDATE/DELETE) and resets.
  void run();
  void reset();

  std::int64_t int64(int column) const { return sqlite3_column_int64(stmt_, column); }
  std::string text(int column) const;
  std::string_view blob(int column) const;  // valid until the next step
  bool is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

class Database {
 public:
  // flags: SQLITE_OPEN_READONLY or SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE.
  Database(const std::string& path, int flags);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  sqlite3* handle() const { return db_; }
  void exec(std::string_view sql);
  std::int64_t query_int(std::string_view sql);  // first column of the first row, 0 if none
  std::int64_t changes() const { return sqlite3_changes64(db_); }
  std::int64_t last_insert_id() const { return sqlite3_last_insert_rowid(db_); }
  // Bytes of heap the connection's page cache holds now.
  std::size_t cache_bytes() const;
  // Frees the page cache's unused pages (all, outside a statement): they are
  // read again from the file, most likely from the kernel's page cache.
  void release_cache() { sqlite3_db_release_memory(db_); }

  // Throws SqliteError with `what` and SQLite's message when `code` is an error.
  void check(int code, std::string_view what) const;

 private:
  sqlite3* db_ = nullptr;
};

// Runs BEGIN IMMEDIATE (or BEGIN for readers) and rolls back unless committed.
class Transaction {
 public:
  Transaction(Database& db, bool write);
  ~Transaction();
  void commit();

 private:
  Database& db_;
  bool open_ = true;
};

}  // namespace ember::store

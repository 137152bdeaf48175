// Writing the local profile store: one closed window per transaction, so a
// crash (kill -9 included) loses at most the window being written. Frames,
// stacks, processes and threads are deduplicated across windows: a row is
// written once and windows refer to it by id.
//
// Used by plugins/sink/store on the sinks' thread; not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "ember/window.hpp"

namespace ember::store {

// What went wrong, so the caller can pick a way to lose no data.
enum class StoreProblem {
  none,
  corrupt,       // damaged or truncated file: move it aside, start a new one
  newer_schema,  // written by a newer ember: leave it alone
  not_a_store,   // another program's SQLite file: leave it alone
  unwritable,    // permissions, read-only filesystem: retry later
  io,            // disk full, I/O error, locked by another writer: retry later
};

struct StoreOutcome {
  StoreProblem problem = StoreProblem::none;
  std::string message;
  bool ok() const { return problem == StoreProblem::none; }
};

struct RetentionPolicy {
  std::int64_t max_age_ns = 0;  // 0: keep windows of any age
  std::int64_t max_bytes = 0;   // 0: no size limit (of the database file)
};

struct RetentionResult {
  std::uint64_t windows_deleted = 0;
  std::int64_t bytes_before = 0;  // database file size (without the WAL)
  std::int64_t bytes_after = 0;
};

// What the last write() did to the deduplicated tables (frames, stacks,
// label sets, processes, threads): the debug log's account of a window, and
// how tests see that a write is proportional to its window, not to the store.
struct WriteStats {
  std::uint64_t rows = 0;        // rows the window refers to
  std::uint64_t looked_up = 0;   // of those, looked up in their table (not remembered)
  std::uint64_t added = 0;       // of those, new rows
  std::uint64_t compared = 0;    // stored rows read and compared with a looked-up one
};

// What open() found and did to the file's schema: an older store is
// migrated (every row rehashed, for some versions), which a user otherwise
// sees only as a slow start.
struct SchemaMigration {
  std::int64_t from = 0;  // the file's version; 0: a new file
  std::int64_t to = 0;    // the version it has now
  std::int64_t wall_ns = 0;
  bool migrated() const { return from > 0 && from < to; }
};

class StoreWriter {
 public:
  // Creates the file (and schema) when missing, migrates an older one.
  static StoreOutcome open(const std::string& path, std::unique_ptr<StoreWriter>& writer);
  ~StoreWriter();

  const SchemaMigration& schema_migration() const;

  StoreOutcome write(const Window& window);
  const WriteStats& last_write() const;

  // Writes the rollup (rollups.hpp) of one closed hour not rolled up yet, or
  // when none waits, the span rollup of one closed block, if any: called
  // after write() on the same thread, in its own transaction. A failure
  // loses nothing (that hour is read from its windows, that block from its
  // hours).
  StoreOutcome roll_up();
  bool roll_up_pending() const;  // more closed hours or blocks wait

  // Deletes windows older than max_age (once they are a tenth of max_age
  // past it, so the cleanup runs rarely) and, while the file is over
  // max_bytes, the oldest windows; then the rows no window refers to, and
  // gives the freed pages back to the filesystem. The newest window stays.
  StoreOutcome enforce_retention(const RetentionPolicy& policy, std::int64_t now_ns,
                                 RetentionResult& result);

  // SQLite's page cache (up to 512 KiB) is the writer's to keep between
  // windows or give back: an agent writes a window a minute, and the pages
  // it would keep are read again from the file (the kernel's page cache)
  // at a fraction of the window's cost.
  void release_cache();
  std::size_t cache_bytes() const;

  const std::string& path() const;

  class Impl;

 private:
  explicit StoreWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Which problem a SQLite result code means.
StoreProblem problem_of_sqlite_code(int primary_code);

}  // namespace ember::store

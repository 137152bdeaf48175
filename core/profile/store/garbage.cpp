#include "garbage.hpp"

#include <algorithm>
#include <unordered_set>
#include <vector>

#include "rollups.hpp"
#include "rows.hpp"
#include "window_blobs.hpp"

namespace ember::store {
namespace {

using IdSet = std::unordered_set<std::int64_t>;

// Deletes the rows of `table` whose id is not in `keep`.
void delete_unreferenced(Database& db, const std::string& table, const IdSet& keep) {
  std::vector<std::int64_t> unused;
  {
    Statement all(db.handle(), "SELECT id FROM " + table);
    while (all.step()) {
      if (!keep.count(all.int64(0))) unused.push_back(all.int64(0));
    }
  }
  Statement remove(db.handle(), "DELETE FROM " + table + " WHERE id = ?1");
  for (std::int64_t id : unused) remove.bind(1, id).run();
}

std::int64_t count_windows(Database& db) { return db.query_int("SELECT count(*) FROM windows"); }

// Deletes the `count` oldest windows.
void delete_oldest(Database& db, std::int64_t count) {
  Statement remove(db.handle(),
                   "DELETE FROM windows WHERE id IN "
                   "(SELECT id FROM windows ORDER BY start_ns, id LIMIT ?1)");
  remove.bind(1, count).run();
}

}  // namespace

std::int64_t used_bytes(Database& db) {
  std::int64_t pages = db.query_int("PRAGMA page_count");
  std::int64_t free_pages = db.query_int("PRAGMA freelist_count");
  return (pages - free_pages) * db.query_int("PRAGMA page_size");
}

void collect_garbage(Database& db) {
  IdSet stacks, processes, threads, frames;
  {
    Statement windows(db.handle(), "SELECT samples, blob_format FROM windows");
    while (windows.step()) {
      WindowRefs refs = decode_refs(windows.blob(0), windows.int64(1));
      processes.insert(refs.process_ids.begin(), refs.process_ids.end());
      threads.insert(refs.thread_ids.begin(), refs.thread_ids.end());
      for (const StoredSample& sample : refs.samples) stacks.insert(sample.stack_id);
    }
  }
  delete_unreferenced(db, "stacks", stacks);
  delete_unreferenced(db, "processes", processes);
  delete_unreferenced(db, "threads", threads);
  {
    Statement remaining(db.handle(), "SELECT frames FROM stacks");
    while (remaining.step()) {
      for (std::int64_t id : decode_stack(remaining.blob(0))) frames.insert(id);
    }
  }
  delete_unreferenced(db, "frames", frames);
}

RetentionResult apply_retention(Database& db, const RetentionPolicy& policy, std::int64_t now_ns) {
  RetentionResult result;
  result.bytes_before = used_bytes(db);
  {
    Transaction transaction(db, true);
    if (policy.max_age_ns > 0) {
      // Only once the oldest window is a tenth of max_age overdue: the
      // garbage collection reads every window, so it should run rarely.
      std::int64_t cutoff = now_ns - policy.max_age_ns;
      std::int64_t oldest_end = db.query_int("SELECT min(end_ns) FROM windows");
      if (count_windows(db) > 0 && oldest_end <= cutoff - policy.max_age_ns / 10) {
        Statement remove(db.handle(), "DELETE FROM windows WHERE end_ns <= ?1");
        remove.bind(1, cutoff).run();
        result.windows_deleted += static_cast<std::uint64_t>(db.changes());
      }
    }
    if (result.windows_deleted > 0) {
      drop_stale_rollups(db);
      collect_garbage(db);
    }
    if (policy.max_bytes > 0) {
      // Down to 90% of the limit, so it is not reached again by the next window.
      const std::int64_t target = policy.max_bytes - policy.max_bytes / 10;
      for (std::int64_t used = used_bytes(db); used > policy.max_bytes;) {
        std::int64_t windows = count_windows(db);
        if (windows <= 1) break;
        std::int64_t excess = used - target;
        std::int64_t count =
            std::clamp<std::int64_t>((windows * excess + used - 1) / used, 1, windows - 1);
        delete_oldest(db, count);
        result.windows_deleted += static_cast<std::uint64_t>(count);
        drop_stale_rollups(db);
        collect_garbage(db);
        std::int64_t now_used = used_bytes(db);
        if (now_used >= used && count == windows - 1) break;
        used = now_used;
      }
    }
    transaction.commit();
  }
  if (result.windows_deleted > 0) {
    db.exec("PRAGMA incremental_vacuum");
    // Moves the shrunken database out of the WAL; busy readers only delay it.
    sqlite3_wal_checkpoint_v2(db.handle(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
  }
  result.bytes_after = used_bytes(db);
  return result;
}

}  // namespace ember::store

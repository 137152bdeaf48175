#include "schema.hpp"

#include <string>
#include <tuple>
#include <vector>

#include "rows.hpp"

namespace ember::store {
namespace {

// Version 1: deduplicated frames, stacks, processes and threads; windows with
// their samples and metrics as blobs (see window_blobs.hpp). `hash` columns are
// the low 31 bits of stable_hash() of a row's content, the dedup lookup key
// (a lookup compares content, so the hash may change between versions).
constexpr const char* kVersion1 = R"(
CREATE TABLE frames (
  id INTEGER PRIMARY KEY, hash INTEGER NOT NULL, kind INTEGER NOT NULL,
  inlined INTEGER NOT NULL, line INTEGER NOT NULL,
  name TEXT NOT NULL, module TEXT NOT NULL, file TEXT NOT NULL);
CREATE INDEX frames_by_hash ON frames(hash);
CREATE TABLE stacks (
  id INTEGER PRIMARY KEY, hash INTEGER NOT NULL,
  frames BLOB NOT NULL);  -- frame ids, root first, as varints
CREATE INDEX stacks_by_hash ON stacks(hash);
CREATE TABLE processes (
  id INTEGER PRIMARY KEY, hash INTEGER NOT NULL, pid INTEGER NOT NULL,
  comm TEXT NOT NULL, exe TEXT NOT NULL, cmdline TEXT NOT NULL,
  container_id TEXT NOT NULL, cgroup_id INTEGER NOT NULL, exit_time_ns INTEGER NOT NULL,
  container_name TEXT NOT NULL, pod_uid TEXT NOT NULL, service TEXT NOT NULL);
CREATE INDEX processes_by_hash ON processes(hash);
CREATE TABLE threads (
  id INTEGER PRIMARY KEY, hash INTEGER NOT NULL, pid INTEGER NOT NULL,
  tid INTEGER NOT NULL, name TEXT NOT NULL);
CREATE INDEX threads_by_hash ON threads(hash);
CREATE TABLE windows (
  id INTEGER PRIMARY KEY, start_ns INTEGER NOT NULL, end_ns INTEGER NOT NULL,
  frequency_hz INTEGER NOT NULL, lost_samples INTEGER NOT NULL, host TEXT NOT NULL,
  samples BLOB NOT NULL,   -- window_blobs.hpp: encode_refs
  metrics BLOB NOT NULL);  -- window_blobs.hpp: encode_metrics
CREATE INDEX windows_by_start ON windows(start_ns);
)";

// Version 2: who wrote the store and when, for support questions.
constexpr const char* kVersion2 = R"(
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
INSERT INTO meta VALUES ('created_by', 'ember'),
                        ('migrated_at', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));
)";

// Version 3: hourly rollups (rollups.hpp): the windows that start in an hour,
// pre-merged when the hour closes, so a day reads 24 rows instead of 1,440
// windows. `blob_format` says how a window's blobs are encoded
// (window_blobs.hpp); version 2 stores hold format 1 only. Hashes shrink to
// 15 bits and stacks are delta-coded (rows.hpp; rekey_for_version_3).
constexpr const char* kVersion3 = R"(
CREATE TABLE rollups (
  hour_ns INTEGER PRIMARY KEY,  -- start of the UTC hour its windows start in
  windows INTEGER NOT NULL,     -- how many windows it merges
  start_ns INTEGER NOT NULL,    -- the first window's start
  end_ns INTEGER NOT NULL,      -- the latest window end
  frequency_hz INTEGER NOT NULL, lost_samples INTEGER NOT NULL, host TEXT NOT NULL,
  samples BLOB NOT NULL,   -- window_blobs.hpp: encode_refs, ids in merge order
  metrics BLOB NOT NULL,   -- window_blobs.hpp: encode_metrics, downsampled
  blob_format INTEGER NOT NULL);
ALTER TABLE windows ADD COLUMN blob_format INTEGER NOT NULL DEFAULT 1;
)";

// Version 4: the Kubernetes pod's name of a process (SDK ABI 4). Its rows
// get the hash of their new key (rows.hpp: process_key) in rehash_processes.
constexpr const char* kVersion4 = R"(
ALTER TABLE processes ADD COLUMN pod_name TEXT NOT NULL DEFAULT '';
)";

// Version 5: frame kinds by name (SDK ABI 5), with their display colors.
// `frames.kind` is the id of a row here; the built-in kinds keep the numbers
// the closed enum of earlier versions gave them, so the frames already stored
// and their hashes (rows.hpp: frame_key) stay as they are. Colors as of
// version 5; a later writer updates a kind's color to its window's.
constexpr const char* kVersion5 = R"(
CREATE TABLE kinds (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,
  color TEXT NOT NULL);  -- "#rrggbb", or '' for a kind nobody registered
INSERT INTO kinds VALUES (0, 'native', '#f08242'), (1, 'kernel', '#6199d1'),
                         (2, 'python', '#f5dc3d'), (3, 'java', '#74d161'),
                         (4, 'node', '#aa66cc'), (5, 'go', '#57dbdb'),
                         (6, 'unknown', '#c7c7c7');
)";

// Version 6: per-sample labels (SDK ABI 5). A labelled sample is stored as a
// stack row that names its label set, so the samples blobs and the rollups
// stay as they are; the stacks already stored have no labels (0) and keep
// their rows and hashes (rows.hpp: stack_key).
constexpr const char* kVersion6 = R"(
CREATE TABLE label_sets (
  id INTEGER PRIMARY KEY, hash INTEGER NOT NULL,
  labels BLOB NOT NULL);  -- rows.hpp: encode_labels
CREATE INDEX label_sets_by_hash ON label_sets(hash);
ALTER TABLE stacks ADD COLUMN labels INTEGER NOT NULL DEFAULT 0;  -- label_sets id, 0: none
)";

// Version 7: a rollup's samples summed per (process, stack) beside the
// per-thread ones, for reads that need no threads (a flame graph of a day
// merges half the rows). NULL in a rollup built before: readers sum its
// per-thread samples instead, and the writer rolls such hours up again.
constexpr const char* kVersion7 = R"(
ALTER TABLE rollups ADD COLUMN process_samples BLOB;  -- window_blobs.hpp: encode_refs, tid 0
)";

// Version 8: span rollups (rollups.hpp): the per-process samples of the
// hourly rollups of a closed block of 6 UTC hours merged once more, so a day
// read per process merges ~4 of them and a few hours instead of 24 hours.
// Nothing else changes: an older store's closed blocks are rolled up after
// its migration, and until then read through their hours.
constexpr const char* kVersion8 = R"(
CREATE TABLE span_rollups (
  span_ns INTEGER PRIMARY KEY,  -- start of the block of 6 UTC hours
  hours INTEGER NOT NULL,       -- how many hourly rollups it merges
  windows INTEGER NOT NULL,     -- how many windows those merge
  process_samples BLOB NOT NULL,  -- window_blobs.hpp: encode_refs, tid 0, ids in merge order
  blob_format INTEGER NOT NULL);
)";

void rehash_processes(Database& db) {
  std::vector<std::tuple<std::int64_t, std::int64_t>> hashes;
  {
    Statement all(db.handle(), std::string("SELECT id, ") + kProcessColumns + " FROM processes");
    while (all.step()) {
      hashes.emplace_back(all.int64(0), dedup_hash(process_key(read_process(all, 1))));
    }
  }
  Statement update(db.handle(), "UPDATE processes SET hash = ?2 WHERE id = ?1");
  for (const auto& [id, hash] : hashes) update.bind(1, id).bind(2, hash).run();
}

// Version 3's stack encoding, for the rows already there (and their hashes:
// version 9 computes every row's again).
void rekey_for_version_3(Database& db) {
  std::vector<std::tuple<std::int64_t, std::string>> stacks;
  {
    Statement all(db.handle(), "SELECT id, frames FROM stacks");
    while (all.step()) {
      stacks.emplace_back(all.int64(0),
                          encode_stack(decode_stack(all.blob(1), StackEncoding::ids)));
    }
  }
  Statement update(db.handle(), "UPDATE stacks SET frames = ?2, hash = ?3 WHERE id = ?1");
  for (const auto& [id, blob] : stacks) {
    update.bind(1, id).bind_blob(2, blob).bind(3, dedup_hash(blob)).run();
  }
}

// Version 9: `hash` columns of 31 bits (rows.hpp: dedup_hash) instead of 15,
// so the writer's lookup of a row reads about one candidate, not one per
// 32,768 rows of the table. Nothing else changes; rehash_for_version_9 gives
// the rows already there their new hash.
constexpr const char* kVersion9 = "";

// Each dedup table's rows get the hash of their key as dedup_hash computes
// it now, with the index dropped meanwhile (rebuilt once, not per row).
void rehash_for_version_9(Database& db) {
  struct Table {
    const char* name;
    std::string columns;
    std::string (*key)(const Statement& row);
  };
  const Table tables[] = {
      {"frames", kFrameColumns, [](const Statement& row) { return frame_key_of_row(row, 1); }},
      {"stacks", "frames, labels",
       [](const Statement& row) { return stack_key(row.blob(1), row.int64(2)); }},
      {"label_sets", "labels", [](const Statement& row) { return std::string(row.blob(1)); }},
      {"processes", kProcessColumns,
       [](const Statement& row) { return process_key(read_process(row, 1)); }},
      {"threads", kThreadColumns,
       [](const Statement& row) { return thread_key(read_thread(row, 1)); }},
  };
  for (const Table& table : tables) {
    const std::string name = table.name;
    db.exec("DROP INDEX " + name + "_by_hash");
    {
      Statement all(db.handle(), "SELECT id, " + table.columns + " FROM " + name);
      Statement update(db.handle(), "UPDATE " + name + " SET hash = ?2 WHERE id = ?1");
      while (all.step()) update.bind(1, all.int64(0)).bind(2, dedup_hash(table.key(all))).run();
    }
    db.exec("CREATE INDEX " + name + "_by_hash ON " + name + "(hash)");
  }
}

// Version 10: rollups keep a reused pid's programs apart (pid_instances.hpp:
// a sample's pid carries the place of its process's name among the rollup's
// rows of that pid). Those built before merged them by pid: they go, and the
// writer rolls the closed hours and blocks up again, one per window written;
// until then reads take their windows.
constexpr const char* kVersion10 = R"(
DELETE FROM rollups;
DELETE FROM span_rollups;
)";

// kMigrations[n] brings version n to n + 1.
constexpr const char* kMigrations[] = {kVersion1, kVersion2, kVersion3, kVersion4, kVersion5,
                                       kVersion6, kVersion7, kVersion8, kVersion9, kVersion10};
static_assert(std::size(kMigrations) == kSchemaVersion);

}  // namespace

void configure_connection(Database& db, bool writer) {
  sqlite3_busy_timeout(db.handle(), 5000);
  if (writer) {
    // Freed pages go back to the filesystem on `PRAGMA incremental_vacuum`
    // (retention). Takes effect only on a new file, before WAL mode and the
    // first table; a no-op on an existing store.
    db.exec("PRAGMA auto_vacuum = INCREMENTAL");
    // A committed window survives a crash of the agent (kill -9) with NORMAL
    // in WAL mode; a power cut may lose the last ones but never the file.
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = NORMAL");
    db.exec("PRAGMA journal_size_limit = 4194304");
    // SQLite's default page cache (2 MB) filled at every window's write and
    // was given back after it (release_cache): a peak in the agent's RSS
    // each time. The pages it would hold stay in the kernel's page cache.
    db.exec("PRAGMA cache_size = -512");
  }
}

std::int64_t check_store(Database& db, const std::string& path) {
  // The first read of the file: a damaged header fails here (SQLITE_NOTADB).
  std::int64_t version = db.query_int("PRAGMA user_version");
  std::int64_t application = db.query_int("PRAGMA application_id");
  std::int64_t tables = db.query_int("SELECT count(*) FROM sqlite_schema");
  if (application != kApplicationId && (application != 0 || tables != 0 || version != 0)) {
    throw StoreRefused(StoreRefused::Reason::not_a_store,
                       path + " is a SQLite file but not an ember store (application_id " +
                           std::to_string(application) + "); point [sink.store] path elsewhere");
  }
  if (version > kSchemaVersion) {
    throw StoreRefused(StoreRefused::Reason::newer_schema,
                       path + " has store schema version " + std::to_string(version) +
                           ", newer than this ember's " + std::to_string(kSchemaVersion) +
                           " (written by a newer ember); use that ember or a newer one to "
                           "read it");
  }
  return version;
}

void migrate(Database& db, std::int64_t target) {
  Transaction transaction(db, true);
  std::int64_t version = db.query_int("PRAGMA user_version");
  if (version == 0) db.exec("PRAGMA application_id = " + std::to_string(kApplicationId));
  for (; version < target; ++version) {
    db.exec(kMigrations[version]);
    if (version + 1 == 3) rekey_for_version_3(db);
    if (version + 1 == 4) rehash_processes(db);
    if (version + 1 == 9) rehash_for_version_9(db);
    db.exec("PRAGMA user_version = " + std::to_string(version + 1));
  }
  transaction.commit();
}

}  // namespace ember::store

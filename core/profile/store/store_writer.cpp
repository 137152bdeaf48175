#include "store_writer.hpp"

#include "check_summary.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "byte_codec.hpp"
#include "garbage.hpp"
#include "id_cache.hpp"
#include "pid_instances.hpp"
#include "rollups.hpp"
#include "rows.hpp"
#include "schema.hpp"
#include "sqlite_db.hpp"
#include "summed_rows.hpp"
#include "window_blobs.hpp"
#include "window_process_key.hpp"

namespace ember::store {
namespace {

// Heap for the rows remembered per table (IdCache); a row not remembered is
// looked up in the table's hash index (in hash order, so a window's lookups
// read the index front to back once). 6,144 rows a generation for frames
// and stacks, 1,536 for the others: about twice what budgets of 1 MB and
// 256 KB held when the cache kept each row's content (with half as many:
// 1.08x the CPU per window written, bench/store).
constexpr std::size_t kLargeTableCacheBytes = std::size_t{512} << 10;  // frames, stacks
constexpr std::size_t kSmallTableCacheBytes = std::size_t{128} << 10;
constexpr std::size_t kNone = SIZE_MAX;

struct DedupTable {
  DedupTable(Database& db, const std::string& table, const std::string& columns, int count,
             std::size_t cache_bytes)
      : find(db.handle(), "SELECT id, " + columns + " FROM " + table + " WHERE hash = ?1"),
        insert(db.handle(), insert_sql(table, columns, count)),
        cache(cache_bytes) {}

  static std::string insert_sql(const std::string& table, const std::string& columns, int count) {
    std::string sql = "INSERT INTO " + table + " (hash, " + columns + ") VALUES (?1";
    for (int i = 2; i <= count + 1; ++i) sql += ", ?" + std::to_string(i);
    return sql + ")";
  }

  Statement find;
  Statement insert;
  IdCache cache;
};

// Is the file a SQLite database at all? A non-empty file without the magic
// header is damage (SQLite would call it "not a database").
bool has_sqlite_header(const std::string& path, bool& exists) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  exists = fd >= 0;
  if (fd < 0) return true;
  char header[16] = {};
  ssize_t n = ::read(fd, header, sizeof header);
  ::close(fd);
  return n == 0 || (n == 16 && std::memcmp(header, "SQLite format 3", 16) == 0);
}

StoreOutcome failure(StoreProblem problem, std::string message) {
  return StoreOutcome{problem, std::move(message)};
}

}  // namespace

StoreProblem problem_of_sqlite_code(int code) {
  switch (code) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_FORMAT:
      return StoreProblem::corrupt;
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return StoreProblem::unwritable;
    default:
      return StoreProblem::io;
  }
}

class StoreWriter::Impl {
 public:
  explicit Impl(const std::string& path)
      : path(path), db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) {}
  ~Impl() {
    if (writer_lock >= 0) ::close(writer_lock);
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  // One writer per store: two agents writing one file would interleave
  // windows and fight over retention. An flock on the file, held while this
  // writer lives (SQLite's own locks are fcntl locks, which it does not meet),
  // released by the kernel when the agent dies however it dies.
  void lock_writer() {
    writer_lock = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (writer_lock < 0) return;  // SQLite opened it: nothing to lock against then
    if (::flock(writer_lock, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
      throw SqliteError(SQLITE_BUSY,
                        "another process writes this store (a second ember agent with the same "
                        "[sink.store] path?)");
    }
  }

  void prepare() {
    frames.emplace(db, "frames", kFrameColumns, 6, kLargeTableCacheBytes);
    stacks.emplace(db, "stacks", "frames, labels", 2, kLargeTableCacheBytes);
    label_sets.emplace(db, "label_sets", "labels", 1, kSmallTableCacheBytes);
    processes.emplace(db, "processes", kProcessColumns, 11, kSmallTableCacheBytes);
    threads.emplace(db, "threads", kThreadColumns, 3, kSmallTableCacheBytes);
    find_kind.emplace(db.handle(), "SELECT id, color FROM kinds WHERE name = ?1");
    insert_kind.emplace(db.handle(), "INSERT INTO kinds (name, color) VALUES (?1, ?2)");
    update_kind.emplace(db.handle(), "UPDATE kinds SET color = ?2 WHERE id = ?1");
    insert_window.emplace(db.handle(),
                          "INSERT INTO windows (start_ns, end_ns, frequency_hz, lost_samples, "
                          "host, samples, metrics, blob_format) "
                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    for (std::int64_t hour : hours_without_rollup(db)) pending_hours.push_back(hour);
    for (std::int64_t span : spans_without_rollup(db)) pending_spans.insert(span);
    std::int64_t newest = db.query_int("SELECT count(*) FROM windows")
                              ? db.query_int("SELECT max(start_ns) FROM windows")
                              : 0;
    if (newest) newest_hour = hour_of(newest);
  }

  // The row ids of `keys` in `table`, each row added when missing. The keys
  // not remembered are looked up in hash order, so the table's hash index is
  // read front to back once per window instead of at a random page per key
  // (a window of a busy host has tens of thousands: pages touched at random
  // left SQLite's cache again and again and were read back from the WAL).
  // New rows are added in the window's order, which keeps the ids of one
  // program's frames and stacks close together (their deltas stay small).
  // `bind(statement, first, i)` binds the columns of keys[i]'s row.
  template <typename KeyOfRow, typename Bind>
  std::vector<std::int64_t> intern_all(DedupTable& table, const std::vector<std::string>& keys,
                                       KeyOfRow key_of_row, Bind bind) {
    std::vector<std::int64_t> ids(keys.size(), 0);
    stats.rows += keys.size();
    std::vector<std::pair<std::int64_t, std::size_t>> unknown;  // (hash, index)
    std::vector<IdCache::Digest> digests(keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i) {
      digests[i] = table.cache.digest_of(keys[i]);
      if (auto id = table.cache.find(digests[i])) {
        ids[i] = *id;
      } else {
        unknown.emplace_back(dedup_hash_of(digests[i].a), i);
      }
    }
    std::sort(unknown.begin(), unknown.end());
    stats.looked_up += unknown.size();
    // A key twice in the window (two frames that read the same) is one row:
    // its later copies take the first one's id.
    std::vector<std::size_t> first_copy(keys.size(), kNone);
    for (std::size_t run = 0; run < unknown.size();) {
      const std::int64_t hash = unknown[run].first;
      std::size_t end = run;
      while (end < unknown.size() && unknown[end].first == hash) ++end;
      for (std::size_t k = run + 1; k < end; ++k) {
        for (std::size_t j = run; j < k; ++j) {
          if (first_copy[unknown[j].second] == kNone &&
              keys[unknown[j].second] == keys[unknown[k].second]) {
            first_copy[unknown[k].second] = unknown[j].second;
            break;
          }
        }
      }
      // Rows are matched by content: a shared hash costs a comparison.
      table.find.bind(1, hash);
      while (table.find.step()) {
        ++stats.compared;
        const std::string stored = key_of_row(table.find);
        for (std::size_t k = run; k < end; ++k) {
          const std::size_t i = unknown[k].second;
          if (ids[i] == 0 && first_copy[i] == kNone && keys[i] == stored) {
            ids[i] = table.find.int64(0);
          }
        }
      }
      table.find.reset();
      run = end;
    }
    std::sort(unknown.begin(), unknown.end(),
              [](const auto& a, const auto& b) { return a.second < b.second; });
    for (const auto& [hash, i] : unknown) {
      if (first_copy[i] != kNone) {
        ids[i] = ids[first_copy[i]];  // (added or found just before: a smaller index)
      } else if (ids[i] == 0) {
        ++stats.added;
        table.insert.bind(1, hash);
        bind(table.insert, 2, i);
        table.insert.run();
        ids[i] = db.last_insert_id();
      }
      table.cache.insert(digests[i], ids[i]);
    }
    return ids;
  }

  // The id of `kind`'s row, added at its first frame. A color the window
  // gives that differs from the stored one replaces it (the newest wins).
  std::int64_t kind_id(const Window& window, const std::string& kind) {
    auto it = kinds.find(kind);
    if (it == kinds.end()) {
      find_kind->bind(1, kind);
      if (find_kind->step()) {
        it = kinds.emplace(kind, StoredKind{find_kind->int64(0), find_kind->text(1)}).first;
      }
      find_kind->reset();
    }
    std::string_view color = window.kind_color(kind);
    if (it == kinds.end()) {
      insert_kind->bind(1, kind).bind(2, color).run();
      return kinds.emplace(kind, StoredKind{db.last_insert_id(), std::string(color)})
          .first->second.id;
    }
    if (!color.empty() && it->second.color != color) {
      update_kind->bind(1, it->second.id).bind(2, color).run();
      it->second.color = color;
    }
    return it->second.id;
  }

  void write(const Window& window) {
    stats = WriteStats{};
    Transaction transaction(db, true);
    std::vector<std::int64_t> kind_ids;
    std::vector<std::string> keys;
    kind_ids.reserve(window.frames.size());
    keys.reserve(window.frames.size());
    for (const Frame& frame : window.frames) {
      kind_ids.push_back(kind_id(window, frame.kind));
      keys.push_back(frame_key(frame, kind_ids.back()));
    }
    const std::vector<std::int64_t> frame_ids = intern_all(
        *frames, keys, [](const Statement& row) { return frame_key_of_row(row, 1); },
        [&](Statement& s, int first, std::size_t i) {
          bind_frame(s, first, window.frames[i], kind_ids[i]);
        });
    std::vector<std::string> stack_blobs;
    stack_blobs.reserve(window.stacks.size());
    std::vector<std::int64_t> ids;
    for (const auto& stack : window.stacks) {
      ids.clear();
      for (std::uint32_t f : stack) ids.push_back(frame_ids.at(f));
      stack_blobs.push_back(encode_stack(ids));
    }
    std::vector<std::int64_t> label_set_ids;
    {
      keys.clear();
      for (const auto& set : window.label_sets) keys.push_back(encode_labels(set));
      label_set_ids = intern_all(
          *label_sets, keys, [](const Statement& row) { return std::string(row.blob(1)); },
          [&](Statement& s, int first, std::size_t i) { s.bind_blob(first, keys[i]); });
    }
    // A stack row per (stack, label set) its samples have; 0: no labels.
    std::vector<std::pair<std::uint32_t, std::int64_t>> stack_rows;
    stack_rows.reserve(window.stacks.size());
    for (std::uint32_t s = 0; s < window.stacks.size(); ++s) stack_rows.emplace_back(s, 0);
    std::map<std::pair<std::uint32_t, std::int64_t>, std::size_t> labelled_rows;
    for (const StackCount& sample : window.samples) {
      if (sample.stack >= window.stacks.size()) {
        throw std::out_of_range("a sample of stack " + std::to_string(sample.stack) + " of " +
                                std::to_string(window.stacks.size()));
      }
      if (sample.labels == 0) continue;
      std::pair<std::uint32_t, std::int64_t> row{sample.stack,
                                                 label_set_ids.at(sample.labels - 1)};
      if (labelled_rows.try_emplace(row, stack_rows.size()).second) stack_rows.push_back(row);
    }
    keys.clear();
    keys.reserve(stack_rows.size());
    for (const auto& [stack, set] : stack_rows) keys.push_back(stack_key(stack_blobs[stack], set));
    const std::vector<std::int64_t> stack_ids = intern_all(
        *stacks, keys,
        [](const Statement& row) { return stack_key(row.blob(1), row.int64(2)); },
        [&](Statement& s, int first, std::size_t i) {
          s.bind_blob(first, stack_blobs[stack_rows[i].first]).bind(first + 1, stack_rows[i].second);
        });
    WindowRefs refs;
    keys.clear();
    for (const ProcessInfo& process : window.processes) keys.push_back(process_key(process));
    refs.process_ids = intern_all(
        *processes, keys, [](const Statement& row) { return process_key(read_process(row, 1)); },
        [&](Statement& s, int first, std::size_t i) {
          bind_process(s, first, window.processes[i]);
        });
    keys.clear();
    for (const ThreadInfo& thread : window.threads) keys.push_back(thread_key(thread));
    refs.thread_ids = intern_all(
        *threads, keys, [](const Statement& row) { return thread_key(read_thread(row, 1)); },
        [&](Statement& s, int first, std::size_t i) { bind_thread(s, first, window.threads[i]); });
    // A pid that ran two programs in the window: their samples by part key.
    const auto part_keys = window_part_keys(window, refs.process_ids);
    refs.samples.reserve(window.samples.size());
    for (const StackCount& sample : window.samples) {
      std::size_t row = sample.stack;
      if (sample.labels != 0) {
        row = labelled_rows.at({sample.stack, label_set_ids.at(sample.labels - 1)});
      }
      std::uint32_t pid = sample.pid;
      if (auto key = part_keys.find(window_process_key(sample)); key != part_keys.end()) {
        pid = key->second;
      }
      refs.samples.push_back(StoredSample{stack_ids.at(row), pid, sample.tid, sample.count});
    }
    if (!part_keys.empty()) {  // two programs of one name are one process
      sum_rows_by(refs.samples,
                  [](const StoredSample& s) { return std::tie(s.pid, s.tid, s.stack_id); });
    }
    insert_window->bind(1, window.start_ns)
        .bind(2, window.end_ns)
        .bind(3, std::int64_t{window.frequency_hz})
        .bind(4, static_cast<std::int64_t>(window.lost_samples))
        .bind(5, window.host)
        .bind_blob(6, encode_refs(std::move(refs)))
        .bind_blob(7, encode_metrics(window))
        .bind(8, kBlobFormat);
    insert_window->run();
    drop_rollup_of(db, window.start_ns);  // (a window late for its hour)
    transaction.commit();
    note_hour(hour_of(window.start_ns));
  }

  // An hour closes when a window of a later one arrives; a window late for
  // an hour that closed before makes it roll up again.
  void note_hour(std::int64_t hour) {
    if (newest_hour && hour != *newest_hour) pending_hours.push_back(std::min(hour, *newest_hour));
    if (!newest_hour || hour > *newest_hour) newest_hour = hour;
  }

  // One closed hour, or once no hour waits, one closed block's span rollup
  // (its hours' rollups come first).
  void roll_up_one() {
    if (!pending_hours.empty()) {
      std::int64_t hour = pending_hours.front();
      pending_hours.pop_front();  // first: a rollup that fails is not retried forever
      Transaction transaction(db, true);
      build_rollup(db, hour);
      transaction.commit();
      if (newest_hour && span_of(hour) < span_of(*newest_hour)) pending_spans.insert(span_of(hour));
      return;
    }
    if (pending_spans.empty()) return;
    std::int64_t span = *pending_spans.begin();
    pending_spans.erase(pending_spans.begin());
    Transaction transaction(db, true);
    build_span_rollup(db, span);
    transaction.commit();
  }

  // Ids in the caches may have been rolled back or collected.
  void forget_cached_rows() {
    for (DedupTable* table : {&*frames, &*stacks, &*processes, &*threads, &*label_sets}) {
      table->cache.clear();
    }
    kinds.clear();
  }

  std::string path;
  Database db;
  int writer_lock = -1;
  std::optional<DedupTable> frames, stacks, processes, threads, label_sets;
  struct StoredKind {
    std::int64_t id = 0;
    std::string color;
  };
  std::unordered_map<std::string, StoredKind> kinds;  // rows of `kinds` looked up so far
  std::optional<Statement> find_kind, insert_kind, update_kind;
  std::optional<Statement> insert_window;
  WriteStats stats;                          // of the last write
  SchemaMigration migration;                 // what open() did
  std::optional<std::int64_t> newest_hour;  // of the newest window written
  std::deque<std::int64_t> pending_hours;   // closed hours to roll up, oldest first
  std::set<std::int64_t> pending_spans;     // closed blocks to roll up once more
};

namespace {

// Runs `body`, turning every exception into an outcome that says what to do.
template <typename Body>
StoreOutcome guarded(const std::string& path, const char* doing, Body&& body) {
  try {
    body();
    return StoreOutcome{};
  } catch (const StoreRefused& refused) {
    return failure(refused.reason() == StoreRefused::Reason::newer_schema
                       ? StoreProblem::newer_schema
                       : StoreProblem::not_a_store,
                   refused.what());
  } catch (const SqliteError& error) {
    StoreProblem problem = problem_of_sqlite_code(error.code());
    std::string what = std::string("cannot ") + doing + " " + path + ": " + error.what();
    if (problem == StoreProblem::corrupt) what += " (the file is damaged)";
    return failure(problem, what);
  } catch (const CorruptBlob& error) {
    return failure(StoreProblem::corrupt, std::string("cannot ") + doing + " " + path +
                                              ": damaged data (" + error.what() + ")");
  } catch (const std::exception& error) {
    return failure(StoreProblem::io,
                   std::string("cannot ") + doing + " " + path + ": " + error.what());
  }
}

}  // namespace

StoreOutcome StoreWriter::open(const std::string& path, std::unique_ptr<StoreWriter>& writer) {
  bool exists = false;
  if (!has_sqlite_header(path, exists)) {
    return failure(StoreProblem::corrupt,
                   "cannot open store " + path + ": not a SQLite file (damaged header)");
  }
  std::unique_ptr<Impl> impl;
  StoreOutcome outcome = guarded(path, "open store", [&] {
    impl = std::make_unique<Impl>(path);
    impl->lock_writer();
    impl->migration.from = check_store(impl->db, path);  // before anything writes to the file
    configure_connection(impl->db, true);
    const auto started = std::chrono::steady_clock::now();
    migrate(impl->db);
    impl->migration.wall_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  std::chrono::steady_clock::now() - started)
                                  .count();
    impl->migration.to = kSchemaVersion;
    // A truncated or damaged file is found now rather than at the first
    // write an hour into profiling.
    Statement check(impl->db.handle(), "PRAGMA quick_check");
    std::string verdict = check.step() ? check.text(0) : "no answer";
    if (verdict != "ok") {
      while (check.step()) verdict += "\n" + check.text(0);
      throw SqliteError(SQLITE_CORRUPT, "integrity check: " + summarize_check(verdict));
    }
    impl->prepare();
  });
  if (!outcome.ok()) return outcome;
  writer.reset(new StoreWriter(std::move(impl)));
  return outcome;
}

StoreWriter::StoreWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
StoreWriter::~StoreWriter() = default;

const std::string& StoreWriter::path() const { return impl_->path; }

void StoreWriter::release_cache() { impl_->db.release_cache(); }

std::size_t StoreWriter::cache_bytes() const { return impl_->db.cache_bytes(); }

const SchemaMigration& StoreWriter::schema_migration() const { return impl_->migration; }

StoreOutcome StoreWriter::write(const Window& window) {
  StoreOutcome outcome = guarded(impl_->path, "write a window to", [&] { impl_->write(window); });
  if (!outcome.ok()) impl_->forget_cached_rows();
  return outcome;
}

const WriteStats& StoreWriter::last_write() const { return impl_->stats; }

StoreOutcome StoreWriter::roll_up() {
  return guarded(impl_->path, "roll up an hour of", [&] { impl_->roll_up_one(); });
}

bool StoreWriter::roll_up_pending() const {
  return !impl_->pending_hours.empty() || !impl_->pending_spans.empty();
}

StoreOutcome StoreWriter::enforce_retention(const RetentionPolicy& policy, std::int64_t now_ns,
                                            RetentionResult& result) {
  result = RetentionResult{};
  StoreOutcome outcome = guarded(impl_->path, "apply retention to",
                                 [&] { result = apply_retention(impl_->db, policy, now_ns); });
  if (result.windows_deleted > 0 || !outcome.ok()) impl_->forget_cached_rows();
  return outcome;
}

}  // namespace ember::store

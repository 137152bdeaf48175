#include "store_reader.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "byte_codec.hpp"
#include "pid_instances.hpp"
#include "process_reads.hpp"
#include "refs_merger.hpp"
#include "rollups.hpp"
#include "row_index.hpp"
#include "rows.hpp"
#include "schema.hpp"
#include "sqlite_db.hpp"
#include "store_writer.hpp"
#include "summed_rows.hpp"
#include "window_blobs.hpp"
#include "window_process_key.hpp"

namespace ember::store {
namespace {

class SqliteStoreReader final : public StoreReader {
 public:
  SqliteStoreReader(std::string path, std::unique_ptr<Database> db)
      : path_(std::move(path)), db_(std::move(db)) {}

  StoreSummary summary() const override;
  Status read(std::int64_t from_ns, std::int64_t to_ns, Window& merged) const override;
  Status read_metrics(std::int64_t from_ns, std::int64_t to_ns, Window& merged) const override;
  Status read_per_process(std::int64_t from_ns, std::int64_t to_ns, Window& merged) const override;
  Status read_process_samples(std::int64_t from_ns, std::int64_t to_ns,
                              Window& merged) const override;
  Status read_process_names(std::int64_t from_ns, std::int64_t to_ns,
                            Window& merged) const override;
  Status read_process_samples_of(std::int64_t from_ns, std::int64_t to_ns,
                                 const ProcessWanted& wanted, Window& merged) const override;
  Status read_process_counts(std::int64_t from_ns, std::int64_t to_ns,
                             Window& merged) const override;
  Status windows(std::int64_t from_ns, std::int64_t to_ns,
                 std::vector<WindowSpan>& spans) const override;

 private:
  // What a merge reads: metrics and processes only, or with the samples
  // per thread or summed per process, or counted per process (no stacks).
  enum class Samples { none, per_thread, per_process, counts };
  // Whether a merge decodes the parts' metrics (their blobs are not even read
  // without).
  enum class Metrics { with, without };
  // Each process as it is, or those of one name folded (read_process_names).
  enum class Processes { each, by_name };
  // With `wanted`, only the processes it keeps.
  void merge(std::int64_t from_ns, std::int64_t to_ns, Samples samples, Metrics metrics,
             Processes processes, const ProcessWanted* wanted, Window& merged) const;
  // merge() guarded: on an error `merged` is left empty.
  Status read_merged(std::int64_t from_ns, std::int64_t to_ns, Samples samples, Window& merged,
                     Metrics metrics = Metrics::with, Processes processes = Processes::each,
                     const ProcessWanted* wanted = nullptr) const;

  std::string path_;
  std::unique_ptr<Database> db_;
};

std::vector<std::string> strings(Database& db, const char* sql) {
  std::vector<std::string> out;
  Statement query(db.handle(), sql);
  while (query.step()) out.push_back(query.text(0));
  return out;
}

// Calls `visit(id, row)` for every row of `table` whose id is a key of
// `wanted` (columns: id, then `columns`); throws when one is missing. Many
// ids: one pass over the table; few: one lookup each.
template <typename Visit>
void load_rows(Database& db, const std::string& table, const std::string& columns, RowIndex& wanted,
               Visit&& visit) {
  if (wanted.size() == 0) return;
  std::size_t found = 0;
  std::int64_t rows = db.query_int("SELECT max(id) FROM " + table);
  if (static_cast<std::int64_t>(wanted.size()) * 8 > rows) {
    Statement all(db.handle(), "SELECT id, " + columns + " FROM " + table);
    while (all.step()) {
      if (wanted.wanted(all.int64(0))) {
        visit(all.int64(0), all);
        ++found;
      }
    }
  } else {
    Statement one(db.handle(), "SELECT id, " + columns + " FROM " + table + " WHERE id = ?1");
    wanted.for_each_wanted([&](std::int64_t id) {
      one.bind(1, id);
      if (one.step()) {
        visit(id, one);
        ++found;
      }
      one.reset();
    });
  }
  if (found != wanted.size()) {
    throw CorruptBlob(std::to_string(wanted.size() - found) + " rows of " + table +
                      " that windows refer to are missing");
  }
}

template <typename Body>
Status guarded(const std::string& path, Body&& body) {
  try {
    body();
    return Status::ok();
  } catch (const SqliteError& error) {
    StoreProblem problem = problem_of_sqlite_code(error.code());
    if (problem == StoreProblem::corrupt) {
      return Status::error("store " + path + " is damaged (" + error.what() +
                           "); the agent moves a damaged store aside and starts a new one, "
                           "the data in this file may be partly recovered with sqlite3's "
                           ".recover");
    }
    return Status::error("cannot read store " + path + ": " + error.what());
  } catch (const CorruptBlob& error) {
    return Status::error("store " + path + " is damaged: " + error.what());
  } catch (const StoreRefused& refused) {
    return Status::error(refused.what());
  } catch (const std::exception& error) {
    return Status::error("cannot read store " + path + ": " + error.what());
  }
}

// SQLite's URI for reading `path` as immutable: no locks, no -shm file.
std::string immutable_uri(const std::string& path) {
  std::string uri = "file:";
  for (char c : path) {
    if (c == '%' || c == '?' || c == '#') {
      char escaped[4];
      std::snprintf(escaped, sizeof escaped, "%%%02X", static_cast<unsigned char>(c));
      uri += escaped;
    } else {
      uri += c;
    }
  }
  return uri + "?immutable=1";
}

// A store in WAL mode is read through its -shm file, which a reader creates
// when it is missing: a user who may read the store but not write to its
// directory (ember report after the agent stopped and removed it) could not
// open it. With no -wal file no agent has the store open, so reading the file
// as immutable is exact.
bool read_as_immutable(const std::string& path) {
  struct stat wal {};
  if (::stat((path + "-wal").c_str(), &wal) == 0) return false;
  std::string directory = std::filesystem::path(path).parent_path().string();
  return ::access(directory.empty() ? "." : directory.c_str(), W_OK) != 0;
}

}  // namespace

Status StoreReader::open(const std::string& path, std::unique_ptr<StoreReader>& reader) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    return Status::error("no store at " + path +
                         ": the agent creates it when [sink.store] is enabled (see "
                         "docs/config.md); pass the store's path if it is elsewhere");
  }
  std::unique_ptr<Database> db;
  Status opened = guarded(path, [&] {
    db = read_as_immutable(path) ? std::make_unique<Database>(
                                       immutable_uri(path), SQLITE_OPEN_READONLY | SQLITE_OPEN_URI)
                                 : std::make_unique<Database>(path, SQLITE_OPEN_READONLY);
    configure_connection(*db, false);  // (a reader's settings write nothing)
    // Pages come by pread, not from a mapping of the file (PRAGMA mmap_size,
    // ~4% faster): the agent's incremental vacuum shrinks the file, and a
    // mapped page past its end is a SIGBUS, not an error, in the agent's UI.
    std::int64_t version = check_store(*db, path);
    if (version == 0) {
      throw StoreRefused(StoreRefused::Reason::not_a_store,
                         path + " is empty: no window has been stored yet");
    }
    // Touches the tables: a truncated file fails here, not halfway through a report.
    db->query_int("SELECT count(*) FROM windows");
  });
  if (!opened) return opened;
  reader = std::make_unique<SqliteStoreReader>(path, std::move(db));
  return Status::ok();
}

StoreSummary SqliteStoreReader::summary() const {
  StoreSummary summary;
  Status read = guarded(path_, [&] {
    Transaction snapshot(*db_, false);
    Statement span(db_->handle(), "SELECT min(start_ns), max(end_ns), count(*) FROM windows");
    if (span.step() && !span.is_null(0)) {
      summary.first_ns = span.int64(0);
      summary.last_ns = span.int64(1);
      summary.windows = static_cast<std::uint64_t>(span.int64(2));
    }
    summary.hosts = strings(*db_, "SELECT DISTINCT host FROM windows ORDER BY host");
    summary.services = strings(
        *db_, "SELECT DISTINCT service FROM processes WHERE service != '' ORDER BY service");
    summary.processes =
        strings(*db_, "SELECT DISTINCT comm FROM processes WHERE comm != '' ORDER BY comm");
    for (auto& [id, kind] : read_kinds(*db_, db_->query_int("PRAGMA user_version"))) {
      summary.kinds.push_back(std::move(kind.kind));
    }
  });
  (void)read;  // a damaged store summarises as what could be read
  return summary;
}

Status StoreReader::read_per_process(std::int64_t from_ns, std::int64_t to_ns,
                                     Window& merged) const {
  Status status = read(from_ns, to_ns, merged);
  if (status) sum_threads(merged);
  return status;
}

Status StoreReader::read_process_names(std::int64_t from_ns, std::int64_t to_ns,
                                       Window& merged) const {
  Status status = read_process_samples(from_ns, to_ns, merged);
  if (status) fold_by_name(merged);
  return status;
}

Status StoreReader::read_process_samples_of(std::int64_t from_ns, std::int64_t to_ns,
                                            const ProcessWanted& wanted, Window& merged) const {
  Status status = read_process_samples(from_ns, to_ns, merged);
  if (status) keep_processes(merged, wanted);
  return status;
}

void keep_processes(Window& window, const StoreReader::ProcessWanted& wanted) {
  std::unordered_map<std::uint32_t, bool> kept;  // process key -> wanted
  for (const ProcessInfo& p : window.processes) kept[window_process_key(p)] = wanted(&p, p.pid);
  auto keeps = [&](std::uint32_t key) {
    auto [it, inserted] = kept.try_emplace(key, false);
    if (inserted) it->second = wanted(nullptr, pid_of_key(key));
    return it->second;
  };
  // A thread is kept with any process of its pid.
  std::unordered_set<std::uint32_t> kept_pids;
  for (const auto& [key, keep] : kept) {
    if (keep) kept_pids.insert(pid_of_key(key));
  }
  std::erase_if(window.processes,
                [&](const ProcessInfo& p) { return !kept[window_process_key(p)]; });
  std::erase_if(window.samples, [&](const StackCount& s) { return !keeps(window_process_key(s)); });
  std::erase_if(window.threads, [&](const ThreadInfo& t) {
    return !kept_pids.count(t.pid) && !keeps(window_process_key(t.pid, 0));
  });
}

void sum_threads(Window& window) {
  for (StackCount& s : window.samples) s.tid = 0;
  sum_rows_by(window.samples, [](const StackCount& s) {
    return std::make_tuple(window_process_key(s), s.stack, s.labels);
  });
  window.threads.clear();
}

Status SqliteStoreReader::read_merged(std::int64_t from_ns, std::int64_t to_ns, Samples samples,
                                      Window& merged, Metrics metrics, Processes processes,
                                      const ProcessWanted* wanted) const {
  merged = Window{};
  Status status =
      guarded(path_, [&] { merge(from_ns, to_ns, samples, metrics, processes, wanted, merged); });
  if (!status) merged = Window{};
  return status;
}

Status SqliteStoreReader::read(std::int64_t from_ns, std::int64_t to_ns, Window& merged) const {
  return read_merged(from_ns, to_ns, Samples::per_thread, merged);
}

Status SqliteStoreReader::read_metrics(std::int64_t from_ns, std::int64_t to_ns,
                                       Window& merged) const {
  return read_merged(from_ns, to_ns, Samples::none, merged);
}

Status SqliteStoreReader::read_per_process(std::int64_t from_ns, std::int64_t to_ns,
                                           Window& merged) const {
  return read_merged(from_ns, to_ns, Samples::per_process, merged);
}

Status SqliteStoreReader::read_process_samples(std::int64_t from_ns, std::int64_t to_ns,
                                               Window& merged) const {
  return read_merged(from_ns, to_ns, Samples::per_process, merged, Metrics::without);
}

Status SqliteStoreReader::read_process_names(std::int64_t from_ns, std::int64_t to_ns,
                                             Window& merged) const {
  return read_merged(from_ns, to_ns, Samples::per_process, merged, Metrics::without,
                     Processes::by_name);
}

Status SqliteStoreReader::read_process_samples_of(std::int64_t from_ns, std::int64_t to_ns,
                                                  const ProcessWanted& wanted,
                                                  Window& merged) const {
  return read_merged(from_ns, to_ns, Samples::per_process, merged, Metrics::without,
                     Processes::each, &wanted);
}

Status SqliteStoreReader::read_process_counts(std::int64_t from_ns, std::int64_t to_ns,
                                              Window& merged) const {
  return read_merged(from_ns, to_ns, Samples::counts, merged);
}

Status SqliteStoreReader::windows(std::int64_t from_ns, std::int64_t to_ns,
                                  std::vector<WindowSpan>& spans) const {
  spans.clear();
  return guarded(path_, [&] {
    Statement query(db_->handle(),
                    "SELECT start_ns, end_ns FROM windows WHERE start_ns < ?2 AND end_ns > ?1 "
                    "ORDER BY start_ns, id");
    query.bind(1, from_ns).bind(2, to_ns);
    while (query.step()) spans.push_back(WindowSpan{query.int64(0), query.int64(1)});
  });
}

namespace {

// What a read merges, oldest first: a window, or a rollup standing for the
// windows of its hour.
struct Part {
  bool rollup = false;
  std::int64_t key = 0;      // window id or the rollup's hour
  std::int64_t hour = 0;     // the hour it starts in
  std::int64_t windows = 1;  // how many windows it stands for
  bool in_span = false;      // its samples come from its block's span rollup
};

// The parts that give the same merge as every window overlapping [from, to):
// the rollups of hours whose windows all lie inside the range, the windows at
// the edges and of hours not rolled up yet.
std::vector<Part> parts_of_range(Database& db, bool has_rollups, std::int64_t from_ns,
                                 std::int64_t to_ns) {
  std::map<std::int64_t, std::int64_t> rollup_windows;  // hour -> windows it merges
  if (has_rollups) {
    Statement rollups(db.handle(),
                      "SELECT hour_ns, windows FROM rollups WHERE start_ns >= ?1 AND end_ns <= ?2");
    rollups.bind(1, from_ns).bind(2, to_ns);
    while (rollups.step()) rollup_windows.emplace(rollups.int64(0), rollups.int64(1));
  }
  std::vector<std::pair<std::int64_t, std::int64_t>> windows;  // (id, hour)
  std::map<std::int64_t, std::int64_t> windows_of_hour;
  Statement query(db.handle(),
                  "SELECT id, start_ns FROM windows WHERE start_ns < ?2 AND end_ns > ?1 "
                  "ORDER BY start_ns, id");
  query.bind(1, from_ns).bind(2, to_ns);
  while (query.step()) {
    std::int64_t hour = hour_of(query.int64(1));
    windows.emplace_back(query.int64(0), hour);
    ++windows_of_hour[hour];
  }
  std::vector<Part> parts;
  std::int64_t last_rollup = 0;
  bool any_rollup = false;
  for (const auto& [id, hour] : windows) {
    auto rollup = rollup_windows.find(hour);
    if (rollup == rollup_windows.end() || rollup->second != windows_of_hour[hour]) {
      parts.push_back(Part{false, id, hour});
    } else if (!any_rollup || last_rollup != hour) {
      parts.push_back(Part{true, hour, hour, rollup->second});
      any_rollup = true;
      last_rollup = hour;
    }
  }
  return parts;
}

// Marks the rollups of `parts` whose samples per process a span rollup
// (rollups.hpp) holds, and returns those spans by the index of their first
// part: a block whose parts in the range are all rollups, as many as the
// span merged, standing for as many windows.
std::map<std::size_t, std::int64_t> spans_of_parts(Database& db, std::vector<Part>& parts) {
  std::map<std::size_t, std::int64_t> spans;
  Statement span(db.handle(), "SELECT hours, windows FROM span_rollups WHERE span_ns = ?1");
  for (std::size_t first = 0, end = 0; first < parts.size(); first = end) {
    std::int64_t block = span_of(parts[first].hour), windows = 0;
    bool all_rollups = true;
    for (end = first; end < parts.size() && span_of(parts[end].hour) == block; ++end) {
      all_rollups = all_rollups && parts[end].rollup;
      windows += parts[end].windows;
    }
    if (!all_rollups || end - first < 2) continue;
    span.bind(1, block);
    if (span.step() && span.int64(0) == static_cast<std::int64_t>(end - first) &&
        span.int64(1) == windows) {
      for (std::size_t i = first; i < end; ++i) parts[i].in_span = true;
      spans.emplace(first, block);
    }
    span.reset();
  }
  return spans;
}

// `rows` and their store `ids` (one each, distinct) put in id order.
template <typename Row>
void sort_by_id(std::vector<Row>& rows, std::vector<std::int64_t>& ids) {
  if (std::is_sorted(ids.begin(), ids.end())) return;
  std::vector<std::size_t> order(ids.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return ids[a] < ids[b]; });
  std::vector<Row> sorted_rows(order.size());
  std::vector<std::int64_t> sorted_ids(order.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    sorted_rows[i] = std::move(rows[order[i]]);
    sorted_ids[i] = ids[order[i]];
  }
  rows = std::move(sorted_rows);
  ids = std::move(sorted_ids);
}

}  // namespace

void SqliteStoreReader::merge(std::int64_t from_ns, std::int64_t to_ns, Samples wanted,
                              Metrics metrics, Processes processes,
                              const ProcessWanted* wanted_processes, Window& merged) const {
  Transaction snapshot(*db_, false);  // one consistent view while the agent writes
  std::int64_t version = db_->query_int("PRAGMA user_version");
  bool has_rollups = version >= 3;
  bool with_samples = wanted != Samples::none;
  bool per_process = wanted == Samples::per_process || wanted == Samples::counts;
  std::vector<Part> parts = parts_of_range(*db_, has_rollups, from_ns, to_ns);
  // Without metrics their column reads as NULL: SQLite leaves its pages unread.
  const std::string metrics_column = metrics == Metrics::with ? "metrics" : "NULL";
  Statement window(db_->handle(),
                   "SELECT start_ns, end_ns, frequency_hz, lost_samples, host, samples, " +
                       metrics_column + ", " +
                       (has_rollups ? "blob_format" : "1") + " FROM windows WHERE id = ?1");
  std::optional<Statement> rollup;
  if (has_rollups) {
    // Reading per process, a rollup's per-process samples (schema 7) stand
    // in for its samples when it has them.
    rollup.emplace(
        db_->handle(),
        std::string("SELECT start_ns, end_ns, frequency_hz, lost_samples, host, ") +
            (per_process && version >= 7 ? "ifnull(process_samples, samples)" : "samples") +
            ", " + metrics_column + ", blob_format, " +
            (per_process && version >= 7 ? "process_samples IS NOT NULL" : "0") +
            " FROM rollups WHERE hour_ns = ?1");
  }

  // Reading per process, a block's hours may take their samples from its
  // span rollup (schema 8): their rows give the rest.
  std::map<std::size_t, std::int64_t> spans;
  std::optional<Statement> rollup_without_samples, span_samples;
  if (per_process && version >= 8) {
    spans = spans_of_parts(*db_, parts);
    rollup_without_samples.emplace(db_->handle(),
                                   "SELECT start_ns, end_ns, frequency_hz, lost_samples, host, "
                                   "NULL, " +
                                       metrics_column +
                                       ", blob_format, 1 FROM rollups WHERE hour_ns = ?1");
    span_samples.emplace(
        db_->handle(), "SELECT process_samples, blob_format FROM span_rollups WHERE span_ns = ?1");
  }

  RefsMerger merger;
  // By name, each process's name is all a read needs of its rows: the fold
  // hears of each as the parts' rows are keyed.
  NameFold fold;
  PidInstances instances(
      *db_, processes == Processes::by_name
                ? PidInstances::NewKey(
                      [&fold](std::uint32_t key, std::string_view comm) { fold.add(key, comm); })
                : PidInstances::NewKey());
  bool any = false;
  for (std::size_t p = 0; p < parts.size(); ++p) {
    const Part& part = parts[p];
    if (auto span = spans.find(p); span != spans.end()) {
      span_samples->bind(1, span->second);
      if (!span_samples->step()) throw CorruptBlob("a span rollup went missing during the read");
      WindowRefs refs;
      decode_refs(span_samples->blob(0), span_samples->int64(1), refs, with_samples);
      instances.key_samples(refs);
      merger.add(std::move(refs));
      span_samples->reset();
    }
    Statement& row = part.in_span ? *rollup_without_samples : part.rollup ? *rollup : window;
    row.bind(1, part.key);
    if (!row.step()) throw CorruptBlob("a window or rollup went missing during the read");
    std::int64_t start = row.int64(0), end = row.int64(1);
    merged.start_ns = any ? std::min(merged.start_ns, start) : start;
    merged.end_ns = any ? std::max(merged.end_ns, end) : end;
    any = true;
    merged.frequency_hz = std::max(merged.frequency_hz, static_cast<std::uint32_t>(row.int64(2)));
    merged.lost_samples += static_cast<std::uint64_t>(row.int64(3));
    merged.host = row.text(4);
    if (!part.in_span) {
      WindowRefs refs;
      decode_refs(row.blob(5), row.int64(7), refs, with_samples);
      if (per_process) {
        bool summed = part.rollup && row.int64(8) != 0;
        if (!summed) sum_threads(refs.samples);
        refs.thread_ids.clear();
      }
      instances.key_samples(refs);
      merger.add(std::move(refs));
    }
    if (metrics == Metrics::with) {
      decode_metrics(row.blob(6), row.int64(7), start, merged.host_metrics,
                     merged.process_metrics);
    }
    row.reset();
  }

  // Processes: once per pid and name (PidInstances), the newest row
  // winning; threads once per (pid, tid).
  std::map<std::uint32_t, std::size_t> process_index;  // by key
  std::vector<std::uint32_t> process_keys;             // of merged.processes
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::size_t> thread_index;
  std::optional<ProcessSelection> selection;
  if (wanted_processes) selection.emplace(*wanted_processes);
  if (processes == Processes::by_name) {
    // No ProcessInfo per pid is ever built.
    fold.rekey([&](std::uint32_t key) { return instances.final_key(key); });
    merged.processes = fold.finish();
    // The fold's pids are process keys.
    for (ProcessInfo& p : merged.processes) set_pid_and_instance(p, p.pid);
  } else {
    Statement row(db_->handle(), std::string("SELECT ") +
                                     (version >= 4 ? kProcessColumns : kProcessColumnsBefore4) +
                                     " FROM processes WHERE id = ?1");
    for (std::int64_t id : merger.process_ids()) {
      row.bind(1, id);
      if (!row.step()) throw CorruptBlob("a window refers to a missing process row");
      ProcessInfo process = read_process(row, 0);
      row.reset();
      const std::uint32_t key = instances.key_of_row(process.pid, process.comm);
      if (selection) {
        selection->add(std::move(process), key);
        continue;
      }
      auto [it, inserted] = process_index.try_emplace(key, merged.processes.size());
      if (inserted) {
        merged.processes.push_back(std::move(process));
        process_keys.push_back(key);
      } else {
        merged.processes[it->second] = std::move(process);
      }
    }
    if (selection) merged.processes = selection->finish(process_keys);
  }
  for (std::size_t i = 0; i < merged.processes.size(); ++i) {
    if (i < process_keys.size()) {
      merged.processes[i].instance = instance_of_key(instances.final_key(process_keys[i]));
    }
  }
  {
    Statement row(db_->handle(),
                  std::string("SELECT ") + kThreadColumns + " FROM threads WHERE id = ?1");
    for (std::int64_t id : merger.thread_ids()) {
      row.bind(1, id);
      if (!row.step()) throw CorruptBlob("a window refers to a missing thread row");
      ThreadInfo thread = read_thread(row, 0);
      row.reset();
      auto [it, inserted] =
          thread_index.try_emplace({thread.pid, thread.tid}, merged.threads.size());
      if (inserted) {
        merged.threads.push_back(std::move(thread));
      } else {
        merged.threads[it->second] = std::move(thread);
      }
    }
  }

  if (!with_samples) return;

  // Stacks, then their frames, each in store id order (the same merged
  // Window whether it came from rollups or windows): store ids -> dense
  // indices of the merged window.
  // By name, the merged rows move to their folded processes first; with
  // wanted_processes, the rows of the others go: far fewer rows are looked
  // up and converted.
  // Each row's key becomes its process key (a reused pid's other programs
  // apart from its newest).
  auto to_process_keys = [&](std::vector<StoredSample>& rows) {
    if (!instances.any_reused()) return;
    for (StoredSample& s : rows) s.pid = instances.final_key(s.pid);
    sum_rows_by(rows, [](const StoredSample& s) { return std::tie(s.pid, s.tid, s.stack_id); });
  };
  std::vector<StoredSample> taken;
  const bool take = processes == Processes::by_name || selection || instances.any_reused();
  if (take) taken = merger.take_samples();
  if (processes == Processes::by_name) {
    to_process_keys(taken);
    fold_rows(fold, taken);
  } else if (selection) {
    keep_rows(*selection, taken);
    to_process_keys(taken);
  } else {
    to_process_keys(taken);
  }
  const std::vector<StoredSample>& samples = take ? taken : merger.samples();
  RowIndex stack_index(db_->query_int("SELECT max(id) FROM stacks"), samples.size());
  for (const StoredSample& s : samples) stack_index.want(s.stack_id);
  // Each stack is decoded into its own vector of merged.stacks, holding
  // store frame ids until the frames are numbered (a day's read has ~177,000
  // stacks, ~4 million frame ids: no second copy of them).
  std::vector<std::int64_t> stack_ids;                   // store id of each of merged.stacks
  std::map<std::int64_t, std::int64_t> stack_label_set;  // stored stack id -> label set id
  std::optional<RowIndex> frame_index;
  if (wanted == Samples::counts) {
    // No frames: only the stacks' label sets, when the store holds any.
    if (version >= 6 && db_->query_int("SELECT EXISTS (SELECT 1 FROM label_sets)") != 0) {
      load_rows(*db_, "stacks", "labels", stack_index, [&](std::int64_t id, const Statement& row) {
        if (row.int64(1) != 0) stack_label_set.emplace(id, row.int64(1));
      });
    }
  } else {
    frame_index.emplace(db_->query_int("SELECT max(id) FROM frames"), stack_index.size());
    stack_ids.reserve(stack_index.size());
    merged.stacks.reserve(stack_index.size());
    std::vector<std::uint32_t> ids;
    StackEncoding encoding = has_rollups ? StackEncoding::deltas : StackEncoding::ids;
    load_rows(*db_, "stacks", version >= 6 ? "frames, labels" : "frames, 0", stack_index,
              [&](std::int64_t id, const Statement& row) {
                ids.clear();
                decode_stack_into(row.blob(1), encoding, ids);
                for (std::uint32_t f : ids) frame_index->want(f);
                merged.stacks.emplace_back(ids.begin(), ids.end());
                stack_ids.push_back(id);
                if (row.int64(2) != 0) stack_label_set.emplace(id, row.int64(2));
              });
  }
  // Label sets -> StackCount::labels of the merged window.
  std::map<std::int64_t, std::uint32_t> label_set_index;
  if (!stack_label_set.empty()) {
    Statement row(db_->handle(), "SELECT labels FROM label_sets WHERE id = ?1");
    for (const auto& [stack, set] : stack_label_set) {
      if (label_set_index.count(set)) continue;
      row.bind(1, set);
      if (!row.step()) throw CorruptBlob("a stack refers to a missing label set");
      merged.label_sets.push_back(decode_labels(row.blob(0)));
      label_set_index.emplace(set, static_cast<std::uint32_t>(merged.label_sets.size()));
      row.reset();
    }
  }
  auto labels_of = [&](std::int64_t stack_id) -> std::uint32_t {
    if (stack_label_set.empty()) return 0;
    auto set = stack_label_set.find(stack_id);
    return set == stack_label_set.end() ? 0 : label_set_index.at(set->second);
  };
  if (wanted == Samples::counts) {
    // Each process' samples summed per label set (the merger's samples come
    // by pid).
    std::map<std::uint32_t, std::uint64_t> per_labels;
    for (std::size_t i = 0; i < samples.size(); ++i) {
      per_labels[labels_of(samples[i].stack_id)] += samples[i].count;
      if (i + 1 < samples.size() && samples[i + 1].pid == samples[i].pid) continue;
      for (const auto& [labels, count] : per_labels) {
        merged.samples.push_back(StackCount{0, pid_of_key(samples[i].pid), 0, count, labels,
                                            instance_of_key(samples[i].pid)});
      }
      per_labels.clear();
    }
    return;
  }
  // Stacks in store id order (the same merged Window whether it came from
  // rollups or windows); a table scan and the lookups by id give them so.
  sort_by_id(merged.stacks, stack_ids);
  // Frames, in store id order likewise, straight into the merged window.
  std::vector<std::int64_t> frame_ids;
  frame_ids.reserve(frame_index->size());
  merged.frames.reserve(frame_index->size());
  StoredKinds kinds = read_kinds(*db_, version);
  std::vector<std::int64_t> kinds_used;
  load_rows(*db_, "frames", kFrameColumns, *frame_index,
            [&](std::int64_t id, const Statement& row) {
              merged.frames.push_back(read_frame(row, 1, kinds));
              frame_ids.push_back(id);
              std::int64_t kind = row.int64(1);
              if (std::find(kinds_used.begin(), kinds_used.end(), kind) == kinds_used.end()) {
                kinds_used.push_back(kind);
              }
            });
  std::sort(kinds_used.begin(), kinds_used.end());
  for (std::int64_t id : kinds_used) {
    auto kind = kinds.find(id);
    if (kind != kinds.end() && !kind->second.color.empty()) {
      merged.frame_kinds.push_back(kind->second);
    }
  }
  std::sort(merged.frame_kinds.begin(), merged.frame_kinds.end(),
            [](const FrameKindColor& a, const FrameKindColor& b) { return a.kind < b.kind; });
  sort_by_id(merged.frames, frame_ids);
  for (std::size_t i = 0; i < frame_ids.size(); ++i) {
    frame_index->set(frame_ids[i], static_cast<std::uint32_t>(i));
  }
  // Store frame ids -> the merged window's frame indices.
  for (std::size_t i = 0; i < merged.stacks.size(); ++i) {
    stack_index.set(stack_ids[i], static_cast<std::uint32_t>(i));
    for (std::uint32_t& f : merged.stacks[i]) f = frame_index->at(f);
  }
  // Samples by thread, then by stack (the merger's order, as stack indices
  // follow store ids): the order does not depend on the parts.
  merged.samples.reserve(samples.size());
  for (const StoredSample& s : samples) {
    merged.samples.push_back(StackCount{stack_index.at(s.stack_id), pid_of_key(s.pid), s.tid,
                                        s.count, labels_of(s.stack_id), instance_of_key(s.pid)});
  }
}

}  // namespace ember::store

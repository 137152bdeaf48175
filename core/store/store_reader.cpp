#include "store_reader.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <unordered_map>

#include "byte_codec.hpp"
#include "rows.hpp"
#include "sample_counter.hpp"
#include "schema.hpp"
#include "sqlite_db.hpp"
#include "store_writer.hpp"
#include "window_blobs.hpp"

namespace ember::store {
namespace {

class SqliteStoreReader final : public StoreReader {
 public:
  SqliteStoreReader(std::string path, std::unique_ptr<Database> db)
      : path_(std::move(path)), db_(std::move(db)) {}

  StoreSummary summary() const override;
  Status read(std::int64_t from_ns, std::int64_t to_ns, Window& merged) const override;
  Status windows(std::int64_t from_ns, std::int64_t to_ns,
                 std::vector<WindowSpan>& spans) const override;

 private:
  void merge(std::int64_t from_ns, std::int64_t to_ns, Window& merged) const;

  std::string path_;
  std::unique_ptr<Database> db_;
};

std::vector<std::string> strings(Database& db, const char* sql) {
  std::vector<std::string> out;
  Statement query(db.handle(), sql);
  while (query.step()) out.push_back(query.text(0));
  return out;
}

// `ids` without repeats, each kept at its last place: a row that windows
// share is read once, and later rows still overwrite earlier ones.
std::vector<std::int64_t> newest_last(const std::vector<std::int64_t>& ids) {
  std::vector<std::int64_t> out;
  std::unordered_map<std::int64_t, bool> seen;
  for (auto it = ids.rbegin(); it != ids.rend(); ++it) {
    if (seen.emplace(*it, true).second) out.push_back(*it);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

// Calls `visit(id, row)` for every row of `table` whose id is a key of
// `wanted` (columns: id, then `columns`); throws when one is missing. Many
// ids: one pass over the table; few: one lookup each.
template <typename Visit>
void load_rows(Database& db, const std::string& table, const std::string& columns,
               const std::unordered_map<std::int64_t, std::uint32_t>& wanted, Visit&& visit) {
  if (wanted.empty()) return;
  std::size_t found = 0;
  std::int64_t rows = db.query_int("SELECT max(id) FROM " + table);
  if (static_cast<std::int64_t>(wanted.size()) * 8 > rows) {
    Statement all(db.handle(), "SELECT id, " + columns + " FROM " + table);
    while (all.step()) {
      if (wanted.count(all.int64(0))) {
        visit(all.int64(0), all);
        ++found;
      }
    }
  } else {
    Statement one(db.handle(), "SELECT id, " + columns + " FROM " + table + " WHERE id = ?1");
    for (const auto& [id, unused] : wanted) {
      one.bind(1, id);
      if (one.step()) {
        visit(id, one);
        ++found;
      }
      one.reset();
    }
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
    db = std::make_unique<Database>(path, SQLITE_OPEN_READONLY);
    configure_connection(*db, false);  // (a reader's settings write nothing)
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
  });
  (void)read;  // a damaged store summarises as what could be read
  return summary;
}

Status SqliteStoreReader::read(std::int64_t from_ns, std::int64_t to_ns, Window& merged) const {
  merged = Window{};
  Status status = guarded(path_, [&] { merge(from_ns, to_ns, merged); });
  if (!status) merged = Window{};
  return status;
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

void SqliteStoreReader::merge(std::int64_t from_ns, std::int64_t to_ns, Window& merged) const {
  Transaction snapshot(*db_, false);  // one consistent view while the agent writes
  Statement windows(db_->handle(),
                    "SELECT start_ns, end_ns, frequency_hz, lost_samples, host, samples, metrics "
                    "FROM windows WHERE start_ns < ?2 AND end_ns > ?1 ORDER BY start_ns, id");
  windows.bind(1, from_ns).bind(2, to_ns);

  // Samples summed per thread slot by stack id: one small table per thread
  // stays in cache while a window's samples of that thread (stored together)
  // are added, where one big table would miss the cache at every sample.
  std::vector<SampleCounter> counts;                                // by thread slot
  std::unordered_map<std::uint64_t, std::uint32_t> slot_of_thread;  // pid << 32 | tid
  std::vector<std::pair<std::uint32_t, std::uint32_t>> thread_of_slot;
  std::vector<std::int64_t> process_rows, thread_rows;  // oldest window first
  bool any = false;
  while (windows.step()) {
    std::int64_t start = windows.int64(0), end = windows.int64(1);
    merged.start_ns = any ? std::min(merged.start_ns, start) : start;
    merged.end_ns = any ? std::max(merged.end_ns, end) : end;
    any = true;
    merged.frequency_hz =
        std::max(merged.frequency_hz, static_cast<std::uint32_t>(windows.int64(2)));
    merged.lost_samples += static_cast<std::uint64_t>(windows.int64(3));
    merged.host = windows.text(4);
    WindowRefs refs = decode_refs(windows.blob(5));
    std::uint64_t thread = ~0ULL;
    SampleCounter* counter = nullptr;
    for (const StoredSample& s : refs.samples) {
      if (s.stack_id < 0) throw CorruptBlob("negative stack id");
      std::uint64_t key = std::uint64_t{s.pid} << 32 | s.tid;
      if (key != thread) {  // samples come grouped by thread
        thread = key;
        auto [it, inserted] =
            slot_of_thread.try_emplace(key, static_cast<std::uint32_t>(thread_of_slot.size()));
        if (inserted) {
          thread_of_slot.emplace_back(s.pid, s.tid);
          counts.emplace_back();
        }
        counter = &counts[it->second];
      }
      counter->add(static_cast<std::uint64_t>(s.stack_id), s.count);
    }
    process_rows.insert(process_rows.end(), refs.process_ids.begin(), refs.process_ids.end());
    thread_rows.insert(thread_rows.end(), refs.thread_ids.begin(), refs.thread_ids.end());
    decode_metrics(windows.blob(6), start, merged.host_metrics, merged.process_metrics);
  }

  // Processes and threads: once per pid / (pid, tid), the newest row winning.
  std::map<std::uint32_t, std::size_t> process_index;
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::size_t> thread_index;
  {
    Statement row(db_->handle(),
                  std::string("SELECT ") + kProcessColumns + " FROM processes WHERE id = ?1");
    for (std::int64_t id : newest_last(process_rows)) {
      row.bind(1, id);
      if (!row.step()) throw CorruptBlob("a window refers to a missing process row");
      ProcessInfo process = read_process(row, 0);
      row.reset();
      auto [it, inserted] = process_index.try_emplace(process.pid, merged.processes.size());
      if (inserted) {
        merged.processes.push_back(std::move(process));
      } else {
        merged.processes[it->second] = std::move(process);
      }
    }
  }
  {
    Statement row(db_->handle(),
                  std::string("SELECT ") + kThreadColumns + " FROM threads WHERE id = ?1");
    for (std::int64_t id : newest_last(thread_rows)) {
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

  // Stacks, then their frames: store ids -> dense indices of the merged window.
  std::unordered_map<std::int64_t, std::uint32_t> stack_index;
  std::size_t distinct = 0;
  for (const SampleCounter& counter : counts) {
    distinct += counter.size();
    counter.for_each([&](std::uint64_t id, std::uint64_t) {
      stack_index.try_emplace(static_cast<std::int64_t>(id), 0);
    });
  }
  std::unordered_map<std::int64_t, std::vector<std::int64_t>> stack_frames;
  load_rows(*db_, "stacks", "frames", stack_index, [&](std::int64_t id, const Statement& row) {
    stack_frames[id] = decode_stack(row.blob(1));
  });
  std::unordered_map<std::int64_t, std::uint32_t> frame_index;
  for (const auto& [id, frames] : stack_frames) {
    for (std::int64_t f : frames) frame_index.try_emplace(f, 0);
  }
  load_rows(*db_, "frames", kFrameColumns, frame_index, [&](std::int64_t id, const Statement& row) {
    frame_index[id] = static_cast<std::uint32_t>(merged.frames.size());
    merged.frames.push_back(read_frame(row, 1));
  });
  merged.stacks.reserve(stack_frames.size());
  for (auto& [id, frame_ids] : stack_frames) {
    stack_index[id] = static_cast<std::uint32_t>(merged.stacks.size());
    std::vector<std::uint32_t> frames;
    frames.reserve(frame_ids.size());
    for (std::int64_t f : frame_ids) frames.push_back(frame_index.at(f));
    merged.stacks.push_back(std::move(frames));
  }
  merged.samples.reserve(distinct);
  for (std::size_t slot = 0; slot < counts.size(); ++slot) {
    const auto& [pid, tid] = thread_of_slot[slot];
    counts[slot].for_each([&](std::uint64_t id, std::uint64_t count) {
      merged.samples.push_back(
          StackCount{stack_index.at(static_cast<std::int64_t>(id)), pid, tid, count});
    });
  }
}

}  // namespace ember::store

#include "store_reader.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <unordered_map>

#include "byte_codec.hpp"
#include "rows.hpp"
#include "schema.hpp"
#include "sqlite_db.hpp"
#include "store_writer.hpp"
#include "window_blobs.hpp"

namespace ember::store {
namespace {

struct SampleKey {
  std::int64_t stack;
  std::uint32_t pid, tid;
  bool operator==(const SampleKey&) const = default;
};

struct SampleKeyHash {
  std::size_t operator()(const SampleKey& k) const {
    std::uint64_t h = static_cast<std::uint64_t>(k.stack) * 0x9e3779b97f4a7c15ULL;
    h ^= (static_cast<std::uint64_t>(k.pid) << 32 | k.tid) * 0xc2b2ae3d27d4eb4fULL;
    return static_cast<std::size_t>(h ^ (h >> 29));
  }
};

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

  std::unordered_map<SampleKey, std::uint64_t, SampleKeyHash> counts;
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
    for (const StoredSample& s : refs.samples)
      counts[SampleKey{s.stack_id, s.pid, s.tid}] += s.count;
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

  // Stacks and frames: store ids -> dense indices of the merged window.
  std::unordered_map<std::int64_t, std::uint32_t> stack_index, frame_index;
  Statement stack_row(db_->handle(), "SELECT frames FROM stacks WHERE id = ?1");
  Statement frame_row(db_->handle(),
                      std::string("SELECT ") + kFrameColumns + " FROM frames WHERE id = ?1");
  auto frame_of = [&](std::int64_t id) {
    auto [it, inserted] =
        frame_index.try_emplace(id, static_cast<std::uint32_t>(merged.frames.size()));
    if (inserted) {
      frame_row.bind(1, id);
      if (!frame_row.step()) throw CorruptBlob("a stack refers to a missing frame row");
      merged.frames.push_back(read_frame(frame_row, 0));
      frame_row.reset();
    }
    return it->second;
  };
  auto stack_of = [&](std::int64_t id) {
    auto [it, inserted] =
        stack_index.try_emplace(id, static_cast<std::uint32_t>(merged.stacks.size()));
    if (inserted) {
      stack_row.bind(1, id);
      if (!stack_row.step()) throw CorruptBlob("a window refers to a missing stack row");
      std::vector<std::int64_t> frame_ids = decode_stack(stack_row.blob(0));
      stack_row.reset();
      std::vector<std::uint32_t> frames;
      frames.reserve(frame_ids.size());
      for (std::int64_t f : frame_ids) frames.push_back(frame_of(f));
      merged.stacks.push_back(std::move(frames));
    }
    return it->second;
  };
  // Stable output: ordered by stack id, then pid and tid.
  std::vector<std::pair<SampleKey, std::uint64_t>> sorted(counts.begin(), counts.end());
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return std::tie(a.first.stack, a.first.pid, a.first.tid) <
           std::tie(b.first.stack, b.first.pid, b.first.tid);
  });
  merged.samples.reserve(sorted.size());
  for (const auto& [key, count] : sorted) {
    merged.samples.push_back(StackCount{stack_of(key.stack), key.pid, key.tid, count});
  }
}

}  // namespace ember::store

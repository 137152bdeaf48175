#include "rollups.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "metrics_downsampling.hpp"
#include "pid_instances.hpp"
#include "refs_merger.hpp"
#include "window_blobs.hpp"

namespace ember::store {
namespace {

// The two rollup tables differ only in name, key and bucket length (and in
// which of their rows count as rolled up), so their upkeep is one code.
struct RollupTable {
  const char* name;
  const char* key;  // the bucket's start
  std::int64_t length_ns;
  const char* rolled_up;  // the rows that need no new roll-up
};
// A rollup from before schema 7 has no per-process samples: rolled up again.
constexpr RollupTable kHourRollups{"rollups", "hour_ns", kHourNs, "process_samples IS NOT NULL"};
constexpr RollupTable kSpanRollups{"span_rollups", "span_ns", kSpanNs, "1"};

std::int64_t bucket_start(const RollupTable& table, std::int64_t time_ns) {
  std::int64_t start = time_ns / table.length_ns * table.length_ns;
  return start > time_ns ? start - table.length_ns : start;
}

void drop_rollup_at(Database& db, const RollupTable& table, std::int64_t time_ns) {
  Statement remove(db.handle(),
                   std::string("DELETE FROM ") + table.name + " WHERE " + table.key + " = ?1");
  remove.bind(1, bucket_start(table, time_ns)).run();
}

// Rows whose window count no longer matches the windows of their bucket.
void drop_stale(Database& db, const RollupTable& table) {
  std::string key = std::string(table.name) + "." + table.key;
  db.exec(std::string("DELETE FROM ") + table.name +
          " WHERE windows != (SELECT count(*) FROM windows WHERE windows.start_ns >= " + key +
          " AND windows.start_ns < " + key + " + " + std::to_string(table.length_ns) + ")");
}

// The closed buckets (all that hold windows but the last, the open one)
// with no row rolled up.
std::vector<std::int64_t> closed_without_rollup(Database& db, const RollupTable& table) {
  std::set<std::int64_t> buckets;
  {
    Statement starts(db.handle(), "SELECT start_ns FROM windows");
    while (starts.step()) buckets.insert(bucket_start(table, starts.int64(0)));
  }
  if (buckets.empty()) return {};
  buckets.erase(std::prev(buckets.end()));
  Statement rolled(db.handle(), std::string("SELECT ") + table.key + " FROM " + table.name +
                                    " WHERE " + table.rolled_up);
  while (rolled.step()) buckets.erase(rolled.int64(0));
  return {buckets.begin(), buckets.end()};
}

}  // namespace

std::int64_t hour_of(std::int64_t time_ns) { return bucket_start(kHourRollups, time_ns); }

std::int64_t span_of(std::int64_t time_ns) { return bucket_start(kSpanRollups, time_ns); }

void build_rollup(Database& db, std::int64_t hour_ns) {
  Statement windows(db.handle(),
                    "SELECT start_ns, end_ns, frequency_hz, lost_samples, host, samples, metrics, "
                    "blob_format FROM windows WHERE start_ns >= ?1 AND start_ns < ?2 "
                    "ORDER BY start_ns, id");
  windows.bind(1, hour_ns).bind(2, hour_ns + kHourNs);
  RefsMerger merger;
  PidInstances instances(db);  // a reused pid's programs stay apart
  MetricsDownsampler metrics(hour_ns);
  std::int64_t count = 0, start = 0, end = 0, frequency = 0, lost = 0;
  std::string host;
  std::vector<HostMetrics> host_steps;
  std::vector<ProcessMetrics> process_steps;
  while (windows.step()) {
    std::int64_t window_start = windows.int64(0);
    start = count ? std::min(start, window_start) : window_start;
    end = count ? std::max(end, windows.int64(1)) : windows.int64(1);
    ++count;
    frequency = std::max(frequency, windows.int64(2));
    lost += windows.int64(3);
    host = windows.text(4);
    WindowRefs refs = decode_refs(windows.blob(5), windows.int64(7));
    instances.key_samples(refs);
    merger.add(std::move(refs));
    if (merger.hardly_sums()) {
      count = 0;  // left to its windows
      break;
    }
    host_steps.clear();
    process_steps.clear();
    decode_metrics(windows.blob(6), windows.int64(7), window_start, host_steps, process_steps);
    metrics.add(window_start, host_steps, process_steps);
  }
  windows.reset();
  if (count == 0) {
    Statement remove(db.handle(), "DELETE FROM rollups WHERE hour_ns = ?1");
    remove.bind(1, hour_ns).run();
    return;
  }
  Window coarse;
  coarse.start_ns = start;
  metrics.finish(coarse.host_metrics, coarse.process_metrics);
  // A busy hour merges into millions of rows: each is held once per form,
  // never copied.
  WindowRefs per_thread = merger.take_refs();
  instances.to_part_keys(per_thread);
  WindowRefs per_process;
  per_process.process_ids = per_thread.process_ids;
  per_process.samples = threads_summed(per_thread.samples);
  std::string thread_blob = encode_refs(std::move(per_thread), IdOrder::kept);
  Statement insert(db.handle(),
                   "INSERT OR REPLACE INTO rollups (hour_ns, windows, start_ns, end_ns, "
                   "frequency_hz, lost_samples, host, samples, metrics, blob_format, "
                   "process_samples) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
  insert.bind(1, hour_ns)
      .bind(2, count)
      .bind(3, start)
      .bind(4, end)
      .bind(5, frequency)
      .bind(6, lost)
      .bind(7, host)
      .bind_blob(8, thread_blob)
      .bind_blob(9, encode_metrics(coarse))
      .bind(10, kBlobFormat)
      .bind_blob(11, encode_refs(std::move(per_process), IdOrder::kept));
  insert.run();
}

bool build_span_rollup(Database& db, std::int64_t span_ns) {
  // Windows per hour of the block, against what each hour's rollup merged.
  std::map<std::int64_t, std::int64_t> windows_of_hour;
  {
    Statement starts(db.handle(),
                     "SELECT start_ns FROM windows WHERE start_ns >= ?1 AND start_ns < ?2");
    starts.bind(1, span_ns).bind(2, span_ns + kSpanNs);
    while (starts.step()) ++windows_of_hour[hour_of(starts.int64(0))];
  }
  Statement hours(db.handle(),
                  "SELECT hour_ns, windows, process_samples, blob_format FROM rollups "
                  "WHERE hour_ns >= ?1 AND hour_ns < ?2 AND process_samples IS NOT NULL "
                  "ORDER BY hour_ns");
  hours.bind(1, span_ns).bind(2, span_ns + kSpanNs);
  RefsMerger merger;
  PidInstances instances(db);
  std::int64_t rolled = 0, windows = 0;
  bool complete = true;
  while (hours.step()) {
    auto hour = windows_of_hour.find(hours.int64(0));
    if (hour == windows_of_hour.end() || hour->second != hours.int64(1)) {
      complete = false;  // a stale rollup: the hour is rolled up again first
      break;
    }
    ++rolled;
    windows += hours.int64(1);
    WindowRefs refs = decode_refs(hours.blob(2), hours.int64(3));
    instances.key_samples(refs);
    merger.add(std::move(refs));
    if (merger.hardly_sums()) {
      complete = false;  // left to its hours
      break;
    }
  }
  hours.reset();
  complete = complete && rolled > 0 && rolled == static_cast<std::int64_t>(windows_of_hour.size());
  if (!complete) {
    Statement remove(db.handle(), "DELETE FROM span_rollups WHERE span_ns = ?1");
    remove.bind(1, span_ns).run();
    return false;
  }
  WindowRefs spanned = merger.take_refs();
  instances.to_part_keys(spanned);
  Statement insert(db.handle(),
                   "INSERT OR REPLACE INTO span_rollups (span_ns, hours, windows, "
                   "process_samples, blob_format) VALUES (?1, ?2, ?3, ?4, ?5)");
  insert.bind(1, span_ns)
      .bind(2, rolled)
      .bind(3, windows)
      .bind_blob(4, encode_refs(std::move(spanned), IdOrder::kept))
      .bind(5, kBlobFormat)
      .run();
  return true;
}

void drop_rollup_of(Database& db, std::int64_t time_ns) {
  drop_rollup_at(db, kHourRollups, time_ns);
  drop_rollup_at(db, kSpanRollups, time_ns);
}

void drop_stale_rollups(Database& db) {
  drop_stale(db, kHourRollups);
  drop_stale(db, kSpanRollups);
}

std::vector<std::int64_t> hours_without_rollup(Database& db) {
  return closed_without_rollup(db, kHourRollups);
}

std::vector<std::int64_t> spans_without_rollup(Database& db) {
  return closed_without_rollup(db, kSpanRollups);
}

}  // namespace ember::store

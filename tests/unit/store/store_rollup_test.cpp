// Hourly rollups: a read that uses them gives the Window a read of the raw
// windows gives (metrics aside, which rollups keep coarser); late windows,
// retention and stores from schema version 2 keep rollups and windows in step.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <map>
#include <span>
#include <tuple>

#include "rollups.hpp"
#include "rows.hpp"
#include "same_flame_tree.hpp"
#include "schema.hpp"
#include "store_reader.hpp"
#include "store_reads.hpp"
#include "store_windows.hpp"
#include "store_writer.hpp"
#include "test_files.hpp"
#include "version2_store.hpp"

namespace ember::store {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;
using test::kMinute;
using test::kStart;
using test::read_range;

// Window `i` of a store: 15 minutes from kStart + i * 15 min, counts and
// metadata varying with i (pid 300 comes and goes, pid 100's service changes).
Window varied_window(int i) {
  Window w = test::full_window(kStart + i * 15 * kMinute);
  w.end_ns = w.start_ns + 15 * kMinute;
  for (StackCount& s : w.samples) s.count = s.count % 1000 + static_cast<std::uint64_t>(i * 3 + 1);
  if (i % 3 == 1) {
    w.processes.push_back(test::process(300, "cron-" + std::to_string(i % 2)));
    w.threads.push_back({300, 300, "cron"});
    w.samples.push_back({static_cast<std::uint32_t>(i % 4), 300, 300, 7});
  }
  w.samples.push_back({0, 100, 101, static_cast<std::uint64_t>(i + 2)});  // a stack two threads run
  if (i >= 5) w.processes[0].service = "Renamed";
  if (i % 4 == 2) w.frequency_hz = 199;
  w.host_metrics.clear();
  w.process_metrics.clear();
  for (int step = 1; step <= 15 * 60; ++step) {
    std::int64_t t = w.start_ns + step * kSecond;
    w.host_metrics.push_back(HostMetrics{t, step % 2 ? 0.2 : 0.4, 16ULL << 30,
                                         (8ULL << 30) - static_cast<std::uint64_t>(step % 7)});
    w.process_metrics.push_back(
        ProcessMetrics{t, 100, step % 2 ? 1.0 : 0.5, 1000 + static_cast<std::uint64_t>(step % 9)});
  }
  return w;
}

void write_windows(const std::string& path, int first, int last) {
  std::unique_ptr<StoreWriter> writer;
  StoreOutcome opened = StoreWriter::open(path, writer);
  ASSERT_TRUE(opened.ok()) << opened.message;
  for (int i = first; i < last; ++i) {
    StoreOutcome written = writer->write(varied_window(i));
    ASSERT_TRUE(written.ok()) << written.message;
    StoreOutcome rolled = writer->roll_up();
    ASSERT_TRUE(rolled.ok()) << rolled.message;
  }
}

// A minute of window `i`'s data 5 minutes into it: late for an hour (and
// block) rolled up already.
void write_late_window(StoreWriter& writer, int i) {
  Window late = varied_window(i);
  late.start_ns += 5 * kMinute;
  late.end_ns = late.start_ns + kMinute;
  StoreOutcome written = writer.write(late);
  ASSERT_TRUE(written.ok()) << written.message;
}

// Everything but the metrics, in order: frames, stacks, samples, processes
// and threads come back in the same order from rollups and from windows.
void expect_same_profile(const Window& a, const Window& b) {
  EXPECT_EQ(a.start_ns, b.start_ns);
  EXPECT_EQ(a.end_ns, b.end_ns);
  EXPECT_EQ(a.frequency_hz, b.frequency_hz);
  EXPECT_EQ(a.lost_samples, b.lost_samples);
  EXPECT_EQ(a.host, b.host);
  ASSERT_EQ(a.frames.size(), b.frames.size());
  for (std::size_t i = 0; i < a.frames.size(); ++i) {
    EXPECT_EQ(a.frames[i].name, b.frames[i].name) << i;
    EXPECT_EQ(a.frames[i].file, b.frames[i].file) << i;
  }
  EXPECT_EQ(a.stacks, b.stacks);
  ASSERT_EQ(a.samples.size(), b.samples.size());
  for (std::size_t i = 0; i < a.samples.size(); ++i) {
    EXPECT_EQ(std::tie(a.samples[i].stack, a.samples[i].pid, a.samples[i].tid, a.samples[i].count),
              std::tie(b.samples[i].stack, b.samples[i].pid, b.samples[i].tid, b.samples[i].count))
        << i;
  }
  ASSERT_EQ(a.processes.size(), b.processes.size());
  for (std::size_t i = 0; i < a.processes.size(); ++i) {
    EXPECT_EQ(process_key(a.processes[i]), process_key(b.processes[i])) << i;
  }
  ASSERT_EQ(a.threads.size(), b.threads.size());
  for (std::size_t i = 0; i < a.threads.size(); ++i) {
    EXPECT_EQ(std::tie(a.threads[i].pid, a.threads[i].tid, a.threads[i].name),
              std::tie(b.threads[i].pid, b.threads[i].tid, b.threads[i].name));
  }
  EXPECT_EQ(test::profile_of(a), test::profile_of(b));
  test::expect_same_flame_tree(a, b);
}

using Ranges = std::vector<std::pair<std::int64_t, std::int64_t>>;

const Ranges& ranges_to_read() {
  static const std::int64_t end = kStart + 13 * 15 * kMinute;
  static const Ranges ranges = {
      {0, INT64_MAX},
      {kStart, end},
      {kStart + 40 * kMinute, end - 20 * kMinute},  // hours cut at both edges
      {hour_of(kStart) + kHourNs, hour_of(kStart) + 2 * kHourNs},
      {kStart + 7 * kMinute, kStart + 8 * kMinute}};
  return ranges;
}

// A read per process of `path` is its read with the threads summed, node
// for node.
void expect_read_per_process_like_summed_read(const std::string& path,
                                              const Ranges& ranges = ranges_to_read()) {
  for (auto [from, to] : ranges) {
    SCOPED_TRACE("per process from " + std::to_string(from) + " to " + std::to_string(to));
    Window summed = read_range(path, from, to);
    std::size_t per_thread = summed.samples.size();
    sum_threads(summed);
    EXPECT_TRUE(summed.threads.empty());
    if (from == 0) {
      EXPECT_LT(summed.samples.size(), per_thread) << "threads of a stack summed";
    }
    expect_same_profile(read_range(path, from, to, true), summed);
  }
}

// Samples per (process, labels): what a read of counts keeps.
using ProcessLabels = std::tuple<std::uint32_t, std::uint32_t, std::vector<Label>>;
std::map<ProcessLabels, std::uint64_t> process_counts(const Window& w) {
  std::map<ProcessLabels, std::uint64_t> out;
  for (const StackCount& s : w.samples) {
    std::span<const Label> labels = w.labels_of(s);
    out[{s.pid, s.instance, std::vector<Label>(labels.begin(), labels.end())}] += s.count;
  }
  return out;
}

// A read of counts of `path` is its read per process without stacks or
// frames: each (pid, labels) once with its samples, the same processes and
// span.
void expect_counts_like_read_per_process(const std::string& path,
                                         const Ranges& ranges = ranges_to_read()) {
  std::unique_ptr<StoreReader> reader;
  ASSERT_TRUE(StoreReader::open(path, reader));
  for (auto [from, to] : ranges) {
    SCOPED_TRACE("counts from " + std::to_string(from) + " to " + std::to_string(to));
    Window per_process, counts;
    ASSERT_TRUE(reader->read_per_process(from, to, per_process));
    ASSERT_TRUE(reader->read_process_counts(from, to, counts));
    EXPECT_TRUE(counts.stacks.empty() && counts.frames.empty());
    EXPECT_EQ(process_counts(counts), process_counts(per_process));
    EXPECT_EQ(counts.samples.size(), process_counts(per_process).size()) << "each (pid, labels) once";
    EXPECT_EQ(std::tie(counts.start_ns, counts.end_ns, counts.frequency_hz, counts.host),
              std::tie(per_process.start_ns, per_process.end_ns, per_process.frequency_hz,
                       per_process.host));
    ASSERT_EQ(counts.processes.size(), per_process.processes.size());
    for (std::size_t i = 0; i < counts.processes.size(); ++i) {
      EXPECT_EQ(process_key(counts.processes[i]), process_key(per_process.processes[i]));
    }
    EXPECT_EQ(counts.process_metrics.size(), per_process.process_metrics.size());
  }
}

// A read of process samples of `path` is its read per process without the
// metrics: the same profile, no host or process metrics.
void expect_process_samples_like_read_per_process(const std::string& path,
                                                  const Ranges& ranges = ranges_to_read()) {
  std::unique_ptr<StoreReader> reader;
  ASSERT_TRUE(StoreReader::open(path, reader));
  bool any_metrics = false;
  for (auto [from, to] : ranges) {
    SCOPED_TRACE("process samples from " + std::to_string(from) + " to " + std::to_string(to));
    Window per_process, samples;
    ASSERT_TRUE(reader->read_per_process(from, to, per_process));
    ASSERT_TRUE(reader->read_process_samples(from, to, samples));
    expect_same_profile(samples, per_process);
    EXPECT_TRUE(samples.host_metrics.empty());
    EXPECT_TRUE(samples.process_metrics.empty());
    any_metrics = any_metrics || !per_process.host_metrics.empty();
  }
  EXPECT_TRUE(any_metrics) << "the store's windows hold metrics a read per process gives";
}

bool has_span_rollups(const std::string& path) {
  return test::query(path, "SELECT count(*) FROM sqlite_schema WHERE name = 'span_rollups'") == 1;
}

// The same ranges read with the rollups and, from a copy without them, from
// the windows only; per thread and per process.
void expect_rollups_read_like_windows(const test::ScratchDir& dir, const std::string& path,
                                      const Ranges& ranges = ranges_to_read()) {
  std::string raw = dir.file("raw.db");
  std::filesystem::remove(raw);
  test::execute(path, "VACUUM INTO '" + raw + "'");
  test::execute(raw, "DELETE FROM rollups");
  if (has_span_rollups(raw)) test::execute(raw, "DELETE FROM span_rollups");
  for (auto [from, to] : ranges) {
    SCOPED_TRACE("from " + std::to_string(from) + " to " + std::to_string(to));
    expect_same_profile(read_range(path, from, to), read_range(raw, from, to));
    expect_same_profile(read_range(path, from, to, true), read_range(raw, from, to, true));
  }
  expect_read_per_process_like_summed_read(path, ranges);
  expect_counts_like_read_per_process(path, ranges);
  expect_counts_like_read_per_process(raw, ranges);
  expect_process_samples_like_read_per_process(path, ranges);
  expect_process_samples_like_read_per_process(raw, ranges);
}

// 25 windows from 19:05 to 01:20: hours 19 to 00 closed, the block of hours
// 18 to 23 closed (five of them hold windows), the block from 00 open.
constexpr int kWindowsOverABlock = 25;

const Ranges& ranges_over_a_block() {
  static const std::int64_t block = span_of(kStart), end = kStart + 25 * 15 * kMinute;
  static const Ranges ranges = {
      {0, INT64_MAX},
      {block, block + kSpanNs + 10 * kMinute},       // the block whole: its span rollup
      {block + 2 * kHourNs, block + kSpanNs},        // three of its hours: their rollups
      {kStart + 40 * kMinute, end - 20 * kMinute},   // hours cut at both edges
      {block + kSpanNs - kHourNs, end}};
  return ranges;
}

void roll_up_all(const std::string& path, int& rolled) {
  std::unique_ptr<StoreWriter> writer;
  StoreOutcome opened = StoreWriter::open(path, writer);
  ASSERT_TRUE(opened.ok()) << opened.message;
  for (rolled = 0; writer->roll_up_pending(); ++rolled) ASSERT_TRUE(writer->roll_up().ok());
}

TEST(StoreRollups, ClosedHoursAreRolledUpAndReadLikeTheirWindows) {
  test::ScratchDir dir;
  std::string path = dir.file("ember.db");
  write_windows(path, 0, 13);  // 19:05 to 22:20: hours 19, 20 and 21 closed
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM rollups"), 3);
  EXPECT_EQ(test::query(path, "SELECT sum(windows) FROM rollups"), 12);
  expect_rollups_read_like_windows(dir, path);

  // The closed hours came from rollups: 10 s host steps from 19:05:13 to
  // 20:05:12 (buckets 19:05:10-19:05:20 to 20:05:10-20:05:20) for each.
  std::string raw = dir.file("raw.db");
  Window rolled = read_range(path, 0, INT64_MAX), windows = read_range(raw, 0, INT64_MAX);
  EXPECT_EQ(windows.host_metrics.size(), 13u * 900);
  EXPECT_EQ(rolled.host_metrics.size(), 3u * 361 + 900);
}

TEST(StoreRollups, RollupsHoldTheirSamplesPerProcessAndAreRolledUpAgainWithoutThem) {
  test::ScratchDir dir;
  std::string path = dir.file("ember.db");
  write_windows(path, 0, 13);
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM rollups WHERE process_samples IS NOT NULL"),
            3);
  // Rollups from before schema 7, without per-process samples: a read per
  // process sums their threads instead.
  Window before = read_range(path, 0, INT64_MAX, true);
  test::execute(path, "UPDATE rollups SET process_samples = NULL WHERE hour_ns = " +
                          std::to_string(hour_of(kStart) + kHourNs));
  expect_same_profile(read_range(path, 0, INT64_MAX, true), before);
  expect_read_per_process_like_summed_read(path);
  expect_counts_like_read_per_process(path);
  test::execute(path,
                "ALTER TABLE rollups DROP COLUMN process_samples; DROP TABLE span_rollups; "
                "PRAGMA user_version = 6");
  expect_same_profile(read_range(path, 0, INT64_MAX, true), before);
  expect_read_per_process_like_summed_read(path);
  expect_counts_like_read_per_process(path);

  // The writer migrates the store and rolls those hours up again.
  std::unique_ptr<StoreWriter> writer;
  StoreOutcome opened = StoreWriter::open(path, writer);
  ASSERT_TRUE(opened.ok()) << opened.message;
  int rolled = 0;
  for (; writer->roll_up_pending(); ++rolled) ASSERT_TRUE(writer->roll_up().ok());
  EXPECT_EQ(rolled, 3);
  writer.reset();
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM rollups WHERE process_samples IS NOT NULL"),
            3);
  expect_rollups_read_like_windows(dir, path);
}

TEST(StoreRollups, AMetricsReadIsTheReadWithoutSamplesStacksAndFrames) {
  test::ScratchDir dir;
  std::string path = dir.file("ember.db");
  write_windows(path, 0, 13);
  std::unique_ptr<StoreReader> reader;
  ASSERT_TRUE(StoreReader::open(path, reader));
  const std::int64_t end = kStart + 13 * 15 * kMinute;
  for (auto [from, to] : std::vector<std::pair<std::int64_t, std::int64_t>>{
           {0, INT64_MAX}, {kStart + 40 * kMinute, end - 20 * kMinute}}) {
    Window whole, metrics;
    ASSERT_TRUE(reader->read(from, to, whole));
    ASSERT_TRUE(reader->read_metrics(from, to, metrics));
    EXPECT_FALSE(whole.samples.empty());
    EXPECT_TRUE(metrics.samples.empty() && metrics.stacks.empty() && metrics.frames.empty());
    EXPECT_EQ(std::tie(metrics.start_ns, metrics.end_ns, metrics.frequency_hz, metrics.host),
              std::tie(whole.start_ns, whole.end_ns, whole.frequency_hz, whole.host));
    ASSERT_EQ(metrics.host_metrics.size(), whole.host_metrics.size());
    for (std::size_t i = 0; i < whole.host_metrics.size(); ++i) {
      EXPECT_EQ(metrics.host_metrics[i].time_ns, whole.host_metrics[i].time_ns);
      EXPECT_EQ(metrics.host_metrics[i].cpu_utilization, whole.host_metrics[i].cpu_utilization);
    }
    ASSERT_EQ(metrics.process_metrics.size(), whole.process_metrics.size());
    ASSERT_EQ(metrics.processes.size(), whole.processes.size());
    for (std::size_t i = 0; i < whole.processes.size(); ++i) {
      EXPECT_EQ(process_key(metrics.processes[i]), process_key(whole.processes[i]));
    }
    EXPECT_EQ(metrics.threads.size(), whole.threads.size());
  }
}

TEST(StoreRollups, RolledUpMetricsAreMeansAndWorstGaugesOfCoarserSteps) {
  test::ScratchDir dir;
  std::string path = dir.file("ember.db");
  write_windows(path, 4, 9);  // 20:05:12 to 21:20:12: hour 20 closed
  Window merged = read_range(path, hour_of(kStart) + kHourNs, kStart + 8 * 15 * kMinute);
  ASSERT_EQ(merged.host_metrics.size(), 361u);  // 20:05:13 to 21:05:12 in 10 s steps
  for (std::size_t i = 0; i < merged.host_metrics.size(); ++i) {
    const HostMetrics& m = merged.host_metrics[i];
    EXPECT_NEAR(m.cpu_utilization, 0.3, 1e-6) << i;  // 0.2 and 0.4, second by second
    EXPECT_EQ(m.memory_total_bytes, 16ULL << 30);
    if (i > 0 && i + 1 < merged.host_metrics.size()) {  // whole steps: the lowest of 7 values
      EXPECT_EQ(m.memory_available_bytes, (8ULL << 30) - 6) << i;
    }
  }
  EXPECT_EQ(merged.host_metrics[2].time_ns - merged.host_metrics[1].time_ns, 10 * kSecond);
  ASSERT_EQ(merged.process_metrics.size(), 61u);  // pid 100, one step a minute
  for (const ProcessMetrics& m : merged.process_metrics) {
    EXPECT_EQ(m.pid, 100u);
    EXPECT_NEAR(m.cpu_cores, 0.75, 1e-6);
    EXPECT_EQ(m.rss_bytes, 1008u);
  }
}

TEST(StoreRollups, AWindowLateForItsHourDropsTheRollupUntilTheHourIsRolledUpAgain) {
  test::ScratchDir dir;
  std::string path = dir.file("ember.db");
  write_windows(path, 0, 9);
  ASSERT_EQ(test::query(path, "SELECT windows FROM rollups ORDER BY hour_ns LIMIT 1"), 4);
  {
    std::unique_ptr<StoreWriter> writer;
    ASSERT_TRUE(StoreWriter::open(path, writer).ok());
    ASSERT_NO_FATAL_FAILURE(write_late_window(*writer, 1));  // 19:25: in the hour rolled up already
    EXPECT_EQ(test::query(path, "SELECT count(*) FROM rollups WHERE hour_ns = " +
                                    std::to_string(hour_of(kStart))),
              0);
    expect_rollups_read_like_windows(dir, path);
    ASSERT_TRUE(writer->roll_up().ok());
    EXPECT_FALSE(writer->roll_up_pending());
  }
  EXPECT_EQ(test::query(path, "SELECT windows FROM rollups ORDER BY hour_ns LIMIT 1"), 5);
  expect_rollups_read_like_windows(dir, path);
}

// Windows 0 to 4 (19:05 to 20:05: hour 19 closed) where `add_threads(i, w)`
// gives window i more samples.
void write_hour(const std::string& path, const std::function<void(int, Window&)>& add_threads) {
  std::unique_ptr<StoreWriter> writer;
  ASSERT_TRUE(StoreWriter::open(path, writer).ok());
  for (int i = 0; i <= 4; ++i) {
    Window w = varied_window(i);
    if (i < 4) add_threads(i, w);
    ASSERT_TRUE(writer->write(w).ok());
    ASSERT_TRUE(writer->roll_up().ok());
  }
}

// One sample of stack 0 for each of `count` one-thread processes from `first_pid`.
void add_processes(Window& w, std::uint32_t first_pid, std::uint32_t count) {
  for (std::uint32_t pid = first_pid; pid < first_pid + count; ++pid) {
    w.samples.push_back({0, pid, pid, 1});
  }
}

TEST(StoreRollups, AnHourWhoseSamplesHardlySumIsLeftToItsWindows) {
  test::ScratchDir dir;
  const std::string hour_19 = " WHERE hour_ns = " + std::to_string(hour_of(kStart));
  // Process churn: 70,000 new processes in each window, every row new.
  std::string churn = dir.file("churn.db");
  write_hour(churn, [](int i, Window& w) { add_processes(w, 1'000'000 + i * 70'000, 70'000); });
  EXPECT_EQ(test::query(churn, "SELECT count(*) FROM rollups" + hour_19), 0);
  EXPECT_EQ(test::query(churn, "SELECT count(*) FROM rollups"), 0);
  Window read = read_range(churn, 0, INT64_MAX);
  std::size_t churned = 0;
  for (const StackCount& s : read.samples) churned += s.pid >= 1'000'000;
  EXPECT_EQ(churned, 280'000u);

  // As many rows where most sum: 150,000 processes in every window and
  // 50,000 new ones in each.
  std::string summing = dir.file("summing.db");
  write_hour(summing, [](int i, Window& w) {
    add_processes(w, 1'000'000, 150'000);
    add_processes(w, 2'000'000 + i * 50'000, 50'000);
  });
  EXPECT_EQ(test::query(summing, "SELECT windows FROM rollups" + hour_19), 4);
}

TEST(StoreRollups, RetentionDropsTheRollupsOfHoursItTookWindowsFrom) {
  test::ScratchDir dir;
  std::string path = dir.file("ember.db");
  write_windows(path, 0, 13);
  std::unique_ptr<StoreWriter> writer;
  ASSERT_TRUE(StoreWriter::open(path, writer).ok());
  // Windows ending by 20:35 go: all of hour 19, half of hour 20.
  RetentionPolicy policy{.max_age_ns = 2 * kHourNs, .max_bytes = 0};
  RetentionResult result;
  std::int64_t now = kStart + 6 * 15 * kMinute + 2 * kHourNs + policy.max_age_ns / 10;
  ASSERT_TRUE(writer->enforce_retention(policy, now, result).ok());
  EXPECT_EQ(result.windows_deleted, 6u);
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM rollups"), 1);  // hour 21 only
  EXPECT_EQ(test::query(path, "SELECT min(hour_ns) FROM rollups"), hour_of(kStart) + 2 * kHourNs);
  writer.reset();
  expect_rollups_read_like_windows(dir, path);
}

TEST(StoreRollups, AVersion2StoreIsReadAsItIsAndRolledUpAfterItsMigration) {
  test::ScratchDir dir;
  std::string path = dir.file("ember.db");
  write_windows(path, 0, 13);
  Window before = read_range(path, 0, INT64_MAX);
  for (ProcessInfo& p : before.processes) p.pod_name.clear();  // (schema 4)
  test::downgrade_to_version_2(path);
  Window as_version_2 = read_range(path, 0, INT64_MAX);
  expect_same_profile(as_version_2, before);
  EXPECT_EQ(as_version_2.host_metrics.size(), 13u * 900);

  std::unique_ptr<StoreWriter> writer;
  StoreOutcome opened = StoreWriter::open(path, writer);
  ASSERT_TRUE(opened.ok()) << opened.message;
  EXPECT_EQ(test::query(path, "PRAGMA user_version"), kSchemaVersion);
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM rollups"), 0);
  int rolled = 0;
  for (; writer->roll_up_pending(); ++rolled) ASSERT_TRUE(writer->roll_up().ok());
  EXPECT_EQ(rolled, 3);
  // The migrated rows are found again (new hashes, stacks re-encoded): the
  // same frames and stacks once more add no row.
  long long stacks = test::query(path, "SELECT count(*) FROM stacks");
  long long frames = test::query(path, "SELECT count(*) FROM frames");
  long long threads = test::query(path, "SELECT count(*) FROM threads");
  long long processes = test::query(path, "SELECT count(*) FROM processes");
  Window again = varied_window(12);  // into the open hour, as schema 2 knew it
  for (ProcessInfo& p : again.processes) p.pod_name.clear();
  ASSERT_TRUE(writer->write(again).ok());
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM stacks"), stacks);
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM frames"), frames);
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM threads"), threads);
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM processes"), processes);
  writer.reset();
  test::execute(path, "DELETE FROM windows WHERE id = (SELECT max(id) FROM windows)");
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM rollups"), 3);
  expect_rollups_read_like_windows(dir, path);
}

TEST(StoreRollups, AClosedBlockIsRolledUpOnceMoreAndReadLikeItsWindows) {
  test::ScratchDir dir;
  std::string path = dir.file("ember.db");
  write_windows(path, 0, kWindowsOverABlock);
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM rollups"), 6);
  ASSERT_EQ(test::query(path, "SELECT count(*) FROM span_rollups"), 1);
  EXPECT_EQ(test::query(path, "SELECT span_ns FROM span_rollups"), span_of(kStart));
  EXPECT_EQ(test::query(path, "SELECT hours FROM span_rollups"), 5);
  EXPECT_EQ(test::query(path, "SELECT windows FROM span_rollups"), 20);  // 19:05 to 23:50
  expect_rollups_read_like_windows(dir, path, ranges_over_a_block());

  // The span's stack counts are the raw windows' summed per (process,
  // stack) over its hours.
  using Counts = std::map<std::pair<std::uint32_t, std::vector<std::string>>, std::uint64_t>;
  auto counts = [](const Window& w) {
    Counts out;
    for (const StackCount& s : w.samples) {
      std::vector<std::string> names;
      for (std::uint32_t f : w.stacks[s.stack]) names.push_back(w.frames[f].name);
      out[{s.pid, names}] += s.count;
    }
    return out;
  };
  // (The block's last window ends at 00:05.)
  const std::int64_t block = span_of(kStart), block_end = block + kSpanNs + 10 * kMinute;
  Window from_windows = read_range(dir.file("raw.db"), block, block_end);
  Window from_span = read_range(path, block, block_end, true);
  EXPECT_EQ(counts(from_span), counts(from_windows));
  EXPECT_GE(from_span.samples.size(), 5u);
  EXPECT_EQ(from_span.total_samples(), from_windows.total_samples());

  // The read per process takes the span's samples, not its hours': a span
  // holding only its first hour's reads fewer.
  test::execute(path,
                "UPDATE span_rollups SET process_samples = (SELECT process_samples FROM rollups "
                "ORDER BY hour_ns LIMIT 1)");
  EXPECT_LT(read_range(path, block, block_end, true).total_samples(), from_span.total_samples());
  EXPECT_EQ(read_range(path, block, block_end).total_samples(), from_span.total_samples())
      << "a read per thread takes the hours";
}

TEST(StoreRollups, ABlockWhoseHoursHardlySumIsLeftToItsHours) {
  test::ScratchDir dir;
  std::string path = dir.file("ember.db");
  {
    std::unique_ptr<StoreWriter> writer;
    ASSERT_TRUE(StoreWriter::open(path, writer).ok());
    // One window an hour from 19:05 to 00:05, each but the last with
    // 100,000 new processes: every hour rolls up, their block hardly sums.
    for (int i = 0; i <= 20; i += 4) {
      Window w = varied_window(i);
      if (i < 20) add_processes(w, 1'000'000 + i * 25'000, 100'000);
      ASSERT_TRUE(writer->write(w).ok());
      while (writer->roll_up_pending()) ASSERT_TRUE(writer->roll_up().ok());
    }
  }
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM rollups"), 5);
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM span_rollups"), 0);
  const std::int64_t block = span_of(kStart);
  Window read = read_range(path, block, block + kSpanNs, true);
  std::size_t churned = 0;
  for (const StackCount& s : read.samples) churned += s.pid >= 1'000'000;
  EXPECT_EQ(churned, 500'000u);
}

TEST(StoreRollups, ALateWindowOrRetentionDropsTheBlocksSpanRollup) {
  test::ScratchDir dir;
  std::string path = dir.file("ember.db");
  write_windows(path, 0, kWindowsOverABlock);
  {
    std::unique_ptr<StoreWriter> writer;
    ASSERT_TRUE(StoreWriter::open(path, writer).ok());
    ASSERT_NO_FATAL_FAILURE(write_late_window(*writer, 9));  // 21:25: in a block rolled up already
    EXPECT_EQ(test::query(path, "SELECT count(*) FROM span_rollups"), 0);
    expect_rollups_read_like_windows(dir, path, ranges_over_a_block());
    ASSERT_TRUE(writer->roll_up().ok());  // the hour
    ASSERT_TRUE(writer->roll_up().ok());  // its block
    EXPECT_FALSE(writer->roll_up_pending());
    EXPECT_EQ(test::query(path, "SELECT windows FROM span_rollups"), 21);
    expect_rollups_read_like_windows(dir, path, ranges_over_a_block());

    // Windows ending by 20:35 go: the block's span with them.
    RetentionPolicy policy{.max_age_ns = 5 * kHourNs, .max_bytes = 0};
    RetentionResult result;
    std::int64_t now = kStart + 6 * 15 * kMinute + policy.max_age_ns;
    ASSERT_TRUE(writer->enforce_retention(policy, now, result).ok());
    EXPECT_EQ(result.windows_deleted, 6u);
  }
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM span_rollups"), 0);
  expect_rollups_read_like_windows(dir, path, ranges_over_a_block());
}

TEST(StoreRollups, AVersion7StoreIsReadAsItIsAndGetsItsSpanRollupsAfterItsMigration) {
  test::ScratchDir dir;
  std::string path = dir.file("ember.db");
  write_windows(path, 0, kWindowsOverABlock);
  Window before = read_range(path, 0, INT64_MAX, true);
  Window before_threads = read_range(path, 0, INT64_MAX);
  test::execute(path, "DROP TABLE span_rollups; PRAGMA user_version = 7");
  long long windows = test::query(path, "SELECT count(*) FROM windows");
  long long rollups = test::query(path, "SELECT count(*) FROM rollups");
  expect_same_profile(read_range(path, 0, INT64_MAX, true), before);
  expect_rollups_read_like_windows(dir, path, ranges_over_a_block());

  int rolled = 0;
  roll_up_all(path, rolled);
  EXPECT_EQ(rolled, rollups + 1) << "schema 10 rolls every hour up again, then the block";
  EXPECT_EQ(test::query(path, "PRAGMA user_version"), kSchemaVersion);
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM span_rollups"), 1);
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM windows"), windows);
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM rollups"), rollups);
  expect_same_profile(read_range(path, 0, INT64_MAX, true), before);
  expect_same_profile(read_range(path, 0, INT64_MAX), before_threads);
  expect_rollups_read_like_windows(dir, path, ranges_over_a_block());
}

// Rollups from before schema 10 merged their hour's samples by pid, a
// reused pid's programs together: the migration drops them and they are
// rolled up again. Here the old rollups are stood in for by wrong ones (each
// hour holding another hour's samples).
TEST(StoreRollups, AVersion9StoresRollupsAreRolledUpAgainAfterItsMigration) {
  test::ScratchDir dir;
  std::string path = dir.file("ember.db");
  write_windows(path, 0, kWindowsOverABlock);
  Window before = read_range(path, 0, INT64_MAX, true);
  Window before_threads = read_range(path, 0, INT64_MAX);
  long long rollups = test::query(path, "SELECT count(*) FROM rollups");
  ASSERT_GE(rollups, 2);
  ASSERT_EQ(test::query(path, "SELECT count(*) FROM span_rollups"), 1);
  test::execute(path,
                "UPDATE rollups SET samples = (SELECT samples FROM rollups ORDER BY hour_ns "
                "LIMIT 1), process_samples = (SELECT process_samples FROM rollups ORDER BY "
                "hour_ns LIMIT 1); UPDATE span_rollups SET process_samples = (SELECT "
                "process_samples FROM rollups ORDER BY hour_ns LIMIT 1); PRAGMA user_version = 9");

  int rolled = 0;
  roll_up_all(path, rolled);
  EXPECT_EQ(rolled, rollups + 1) << "every hour and the block rolled up again";
  EXPECT_EQ(test::query(path, "PRAGMA user_version"), kSchemaVersion);
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM rollups"), rollups);
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM span_rollups"), 1);
  expect_same_profile(read_range(path, 0, INT64_MAX, true), before);
  expect_same_profile(read_range(path, 0, INT64_MAX), before_threads);
  expect_rollups_read_like_windows(dir, path, ranges_over_a_block());
}

}  // namespace
}  // namespace ember::store

// Writer -> file -> reader, with every field of a Window, deduplication and
// the merge of several windows.
#include <gtest/gtest.h>

#include <map>
#include <span>
#include <tuple>

#include "schema.hpp"
#include "store_reader.hpp"
#include "store_reads.hpp"
#include "store_windows.hpp"
#include "store_writer.hpp"
#include "test_files.hpp"

namespace ember::store {
namespace {

using test::kMinute;
using test::kStart;
using test::read_range;

void write_all(const std::string& path, const std::vector<Window>& windows) {
  std::unique_ptr<StoreWriter> writer;
  StoreOutcome opened = StoreWriter::open(path, writer);
  ASSERT_TRUE(opened.ok()) << opened.message;
  for (const Window& w : windows) {
    StoreOutcome written = writer->write(w);
    ASSERT_TRUE(written.ok()) << written.message;
  }
}

TEST(StoreRoundTrip, EveryFieldOfAWindowComesBack) {
  test::ScratchDir dir;
  std::string path = dir.file("ember.db");
  Window w = test::full_window(kStart);
  write_all(path, {w});

  Window back = read_range(path, kStart, kStart + kMinute);
  EXPECT_EQ(back.start_ns, w.start_ns);
  EXPECT_EQ(back.end_ns, w.end_ns);
  EXPECT_EQ(back.frequency_hz, w.frequency_hz);
  EXPECT_EQ(back.lost_samples, w.lost_samples);
  EXPECT_EQ(back.host, w.host);
  EXPECT_EQ(back.total_samples(), w.total_samples());
  EXPECT_EQ(test::profile_of(back), test::profile_of(w));
  // Every frame, including the empty stack's absence of frames, once.
  EXPECT_EQ(back.frames.size(), w.frames.size());
  ASSERT_EQ(back.processes.size(), w.processes.size());
  for (const ProcessInfo& p : w.processes) {
    auto it = std::find_if(back.processes.begin(), back.processes.end(),
                           [&](const ProcessInfo& q) { return q.pid == p.pid; });
    ASSERT_NE(it, back.processes.end()) << p.pid;
    EXPECT_EQ(it->comm, p.comm);
    EXPECT_EQ(it->exe, p.exe);
    EXPECT_EQ(it->cmdline, p.cmdline);
    EXPECT_EQ(it->container_id, p.container_id);
    EXPECT_EQ(it->cgroup_id, p.cgroup_id);
    EXPECT_EQ(it->exit_time_ns, p.exit_time_ns);
    EXPECT_EQ(it->container_name, p.container_name);
    EXPECT_EQ(it->pod_uid, p.pod_uid);
    EXPECT_EQ(it->pod_name, p.pod_name);
    EXPECT_EQ(it->service, p.service);
  }
  ASSERT_EQ(back.threads.size(), w.threads.size());
  for (const ThreadInfo& t : w.threads) {
    EXPECT_TRUE(std::any_of(
        back.threads.begin(), back.threads.end(),
        [&](const ThreadInfo& u) { return u.pid == t.pid && u.tid == t.tid && u.name == t.name; }))
        << t.pid << "/" << t.tid;
  }
  ASSERT_EQ(back.host_metrics.size(), w.host_metrics.size());
  for (std::size_t i = 0; i < w.host_metrics.size(); ++i) {
    EXPECT_EQ(back.host_metrics[i].time_ns, w.host_metrics[i].time_ns);
    EXPECT_NEAR(back.host_metrics[i].cpu_utilization, w.host_metrics[i].cpu_utilization, 1e-6);
    EXPECT_EQ(back.host_metrics[i].memory_total_bytes, w.host_metrics[i].memory_total_bytes);
    EXPECT_EQ(back.host_metrics[i].memory_available_bytes,
              w.host_metrics[i].memory_available_bytes);
  }
  ASSERT_EQ(back.process_metrics.size(), w.process_metrics.size());
  for (std::size_t i = 0; i < w.process_metrics.size(); ++i) {
    EXPECT_EQ(back.process_metrics[i].time_ns, w.process_metrics[i].time_ns);
    EXPECT_EQ(back.process_metrics[i].pid, w.process_metrics[i].pid);
    EXPECT_NEAR(back.process_metrics[i].cpu_cores, w.process_metrics[i].cpu_cores, 1e-6);
    EXPECT_EQ(back.process_metrics[i].rss_bytes, w.process_metrics[i].rss_bytes);
  }
}

TEST(StoreRoundTrip, FramesStacksProcessesAndThreadsAreStoredOnce) {
  test::ScratchDir dir;
  std::string path = dir.file("ember.db");
  std::vector<Window> windows;
  for (int i = 0; i < 5; ++i) windows.push_back(test::full_window(kStart + i * kMinute));
  // The same frames in another order in one window: still the same rows.
  std::reverse(windows[2].frames.begin(), windows[2].frames.end());
  const auto n = static_cast<std::uint32_t>(windows[2].frames.size());
  for (auto& stack : windows[2].stacks) {
    for (auto& f : stack) f = n - 1 - f;
  }
  write_all(path, windows);
  const Window& w = windows[0];
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM frames"),
            static_cast<long long>(w.frames.size()));
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM stacks"),
            static_cast<long long>(w.stacks.size()));
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM processes"), 2);
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM threads"), 3);
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM windows"), 5);
}

TEST(StoreRoundTrip, ARangeMergesItsWindowsAndTheNewestMetadataWins) {
  test::ScratchDir dir;
  std::string path = dir.file("ember.db");
  Window first = test::full_window(kStart);
  Window second = test::full_window(kStart + kMinute);
  second.processes[0].exit_time_ns = kStart + kMinute + 5;  // python3 exited
  second.threads[1].name = "worker-renamed";
  second.frequency_hz = 199;
  Window third = test::full_window(kStart + 2 * kMinute);
  write_all(path, {first, second, third});

  Window two = read_range(path, kStart, kStart + 2 * kMinute);
  EXPECT_EQ(two.start_ns, kStart);
  EXPECT_EQ(two.end_ns, kStart + 2 * kMinute);
  EXPECT_EQ(two.total_samples(), 2 * first.total_samples());
  EXPECT_EQ(two.lost_samples, 2 * first.lost_samples);
  EXPECT_EQ(two.frequency_hz, 199u);
  EXPECT_EQ(two.host_metrics.size(), 2 * first.host_metrics.size());
  EXPECT_EQ(two.process_metrics.size(), 2 * first.process_metrics.size());
  EXPECT_LT(two.host_metrics.front().time_ns, two.host_metrics.back().time_ns);
  auto doubled = test::profile_of(first);
  for (auto& [key, count] : doubled) count *= 2;
  EXPECT_EQ(test::profile_of(two), doubled);
  ASSERT_EQ(two.processes.size(), 2u);
  for (const ProcessInfo& p : two.processes) {
    if (p.pid == 100) {
      EXPECT_EQ(p.exit_time_ns, kStart + kMinute + 5);
    }
  }
  EXPECT_TRUE(std::any_of(two.threads.begin(), two.threads.end(),
                          [](const ThreadInfo& t) { return t.name == "worker-renamed"; }));
  EXPECT_EQ(two.threads.size(), 3u);

  // A range inside the last window: that window only. Outside: nothing.
  Window last = read_range(path, kStart + 2 * kMinute + 1, kStart + 2 * kMinute + 2);
  EXPECT_EQ(last.start_ns, third.start_ns);
  EXPECT_EQ(last.total_samples(), third.total_samples());
  std::unique_ptr<StoreReader> reader;
  ASSERT_TRUE(StoreReader::open(path, reader));
  std::vector<WindowSpan> spans;
  ASSERT_TRUE(reader->windows(kStart + 1, kStart + 2 * kMinute + 1, spans));
  ASSERT_EQ(spans.size(), 3u);
  EXPECT_EQ(spans[0].start_ns, kStart);
  EXPECT_EQ(spans[2].end_ns, kStart + 3 * kMinute);
  ASSERT_TRUE(reader->windows(kStart + kMinute, kStart + 2 * kMinute, spans));
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].start_ns, kStart + kMinute);
  Window none = read_range(path, kStart + 10 * kMinute, kStart + 11 * kMinute);
  EXPECT_EQ(none.total_samples(), 0u);
  EXPECT_TRUE(none.frames.empty());
}

TEST(StoreRoundTrip, SummaryNamesSpanHostsServicesAndProcesses) {
  test::ScratchDir dir;
  std::string path = dir.file("ember.db");
  Window later = test::full_window(kStart + kMinute);
  later.host = "other-host";
  write_all(path, {test::full_window(kStart), later});
  std::unique_ptr<StoreReader> reader;
  ASSERT_TRUE(StoreReader::open(path, reader));
  StoreSummary summary = reader->summary();
  EXPECT_EQ(summary.first_ns, kStart);
  EXPECT_EQ(summary.last_ns, kStart + 2 * kMinute);
  EXPECT_EQ(summary.windows, 2u);
  EXPECT_EQ(summary.hosts, (std::vector<std::string>{"build-host-7", "other-host"}));
  EXPECT_EQ(summary.services, (std::vector<std::string>{"BiggestNumbers"}));
  EXPECT_EQ(summary.processes, (std::vector<std::string>{"java", "python3"}));
}

TEST(StoreRoundTrip, AWriterReopeningTheStoreAppendsAndStillDeduplicates) {
  test::ScratchDir dir;
  std::string path = dir.file("ember.db");
  write_all(path, {test::full_window(kStart)});
  write_all(path, {test::full_window(kStart + kMinute)});
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM windows"), 2);
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM stacks"), 5);
  EXPECT_EQ(test::query(path, "PRAGMA user_version"), kSchemaVersion);
  EXPECT_EQ(test::query(path, "PRAGMA auto_vacuum"), 2);  // incremental: retention can shrink it
}

// full_window plus a stack of a registered kind, toyvm, in pid 100.
Window window_with_toyvm(std::int64_t start_ns, const std::string& color = "#3366cc") {
  Window w = test::full_window(start_ns);
  w.frames.push_back(test::frame("toy_main", "toyvm", "hot.toy", "hot.toy", 2));
  w.frames.push_back(test::frame("toy_spin", "toyvm", "hot.toy", "hot.toy", 9));
  auto first = static_cast<std::uint32_t>(w.frames.size() - 2);
  w.stacks.push_back({0, first, first + 1});
  w.samples.push_back({static_cast<std::uint32_t>(w.stacks.size() - 1), 100, 100, 40});
  w.frame_kinds = {{"toyvm", color}};
  return w;
}

TEST(StoreRoundTrip, ARegisteredKindComesBackByNameWithItsColor) {
  test::ScratchDir dir;
  std::string path = dir.file("ember.db");
  Window w = window_with_toyvm(kStart);
  write_all(path, {w});
  Window back = read_range(path, kStart, kStart + kMinute);
  EXPECT_EQ(test::profile_of(back), test::profile_of(w));
  EXPECT_EQ(back.kind_color("toyvm"), "#3366cc");
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM kinds WHERE name = 'toyvm'"), 1);
  // Built-in kinds keep the numbers they had before kinds had names.
  EXPECT_EQ(test::query(path, "SELECT kind FROM frames WHERE name = 'handler'"), 2);
  std::unique_ptr<StoreReader> reader;
  ASSERT_TRUE(StoreReader::open(path, reader));
  std::vector<std::string> kinds = reader->summary().kinds;
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "toyvm"), kinds.end());

  // A later window's color for the kind replaces the stored one.
  write_all(path, {window_with_toyvm(kStart + kMinute, "#ff0000")});
  EXPECT_EQ(read_range(path, kStart, kStart + 2 * kMinute).kind_color("toyvm"), "#ff0000");
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM kinds WHERE name = 'toyvm'"), 1);
}

TEST(StoreRoundTrip, AKindNobodyRegisteredIsKeptByNameWithoutAColor) {
  test::ScratchDir dir;
  std::string path = dir.file("ember.db");
  Window w = window_with_toyvm(kStart);
  w.frame_kinds.clear();
  write_all(path, {w});
  Window back = read_range(path, kStart, kStart + kMinute);
  EXPECT_EQ(test::profile_of(back), test::profile_of(w));
  EXPECT_EQ(back.kind_color("toyvm"), "");
  for (const FrameKindColor& k : back.frame_kinds) EXPECT_NE(k.kind, "toyvm");
  // Registered later: its color arrives with the next window.
  write_all(path, {window_with_toyvm(kStart + kMinute)});
  EXPECT_EQ(read_range(path, kStart, kStart + 2 * kMinute).kind_color("toyvm"), "#3366cc");
}

TEST(StoreRoundTrip, AStoreFromBeforeKindsHadNamesReadsTheSameAndTakesNewKinds) {
  test::ScratchDir dir;
  std::string path = dir.file("ember.db");
  write_all(path, {test::full_window(kStart)});
  Window before = read_range(path, 0, INT64_MAX);
  // What schema 4 wrote: the same rows, kinds as the enum's numbers, no kinds table.
  test::execute(path,
                "DROP TABLE kinds; DROP TABLE label_sets; ALTER TABLE stacks DROP COLUMN labels; "
                "ALTER TABLE rollups DROP COLUMN process_samples; DROP TABLE span_rollups; "
                "PRAGMA user_version = 4;");
  Window as_version_4 = read_range(path, 0, INT64_MAX);
  EXPECT_EQ(test::profile_of(as_version_4), test::profile_of(before));
  EXPECT_EQ(as_version_4.frame_kinds, before.frame_kinds);
  long long frames = test::query(path, "SELECT count(*) FROM frames");

  // Migrated: the same frames are found again (no new row), and a new kind joins them.
  write_all(path, {test::full_window(kStart + kMinute), window_with_toyvm(kStart + 2 * kMinute)});
  EXPECT_EQ(test::query(path, "PRAGMA user_version"), kSchemaVersion);
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM frames"), frames + 2);
  EXPECT_EQ(test::profile_of(read_range(path, 0, kStart + kMinute)), test::profile_of(before));
  Window toyvm = read_range(path, kStart + 2 * kMinute, kStart + 3 * kMinute);
  EXPECT_EQ(test::profile_of(toyvm), test::profile_of(window_with_toyvm(kStart)));
  EXPECT_EQ(toyvm.kind_color("toyvm"), "#3366cc");
}

// (stack's frame names, pid, labels) -> count.
std::map<std::tuple<std::vector<std::string>, std::uint32_t, std::vector<Label>>, std::uint64_t>
labelled_counts(const Window& w) {
  std::map<std::tuple<std::vector<std::string>, std::uint32_t, std::vector<Label>>, std::uint64_t>
      out;
  for (const StackCount& s : w.samples) {
    std::vector<std::string> names;
    for (std::uint32_t f : w.stacks.at(s.stack)) names.push_back(w.frames.at(f).name);
    std::span<const Label> labels = w.labels_of(s);
    out[{names, s.pid, std::vector<Label>(labels.begin(), labels.end())}] += s.count;
  }
  return out;
}

TEST(StoreRoundTrip, SampleLabelsComeBackAndKeepTheirSamplesApart) {
  test::ScratchDir dir;
  std::string path = dir.file("ember.db");
  Window w = test::full_window(kStart);
  w.label_sets = {{{"goroutine", "worker"}}, {{"goroutine", "main"}, {"route", "/buy \xff"}}};
  w.samples[0].count = 3;  // stack 0 in pid 100: 3 + 2 + 4 (labels 1, 2, none)
  w.samples[0].labels = 1;
  w.samples.push_back({0, 100, 100, 2, 2});
  w.samples.push_back({0, 100, 100, 4, 0});
  Window later = w;
  later.start_ns += kMinute;
  later.end_ns += kMinute;
  write_all(path, {w, later});
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM label_sets"), 2);
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM stacks"), 5 + 2);  // a row per labelled stack

  Window back = read_range(path, kStart, kStart + kMinute);
  EXPECT_EQ(labelled_counts(back), labelled_counts(w));
  EXPECT_EQ(test::profile_of(back), test::profile_of(w));
  Window both = read_range(path, kStart, kStart + 2 * kMinute);
  auto counts = labelled_counts(both);
  std::vector<Label> main{{"goroutine", "main"}, {"route", "/buy \xff"}};
  EXPECT_EQ((counts[{{"main", "handler"}, 100, main}]), 2u * 2);
  EXPECT_EQ((counts[{{"main", "handler"}, 100, {}}]), 2u * 4);

  // Counted per process without stacks, the labels still keep them apart.
  std::unique_ptr<StoreReader> reader;
  ASSERT_TRUE(StoreReader::open(path, reader));
  Window per_process;
  ASSERT_TRUE(reader->read_process_counts(kStart, kStart + 2 * kMinute, per_process));
  EXPECT_TRUE(per_process.stacks.empty());
  std::map<std::vector<Label>, std::uint64_t> of_pid_100;
  for (const StackCount& s : per_process.samples) {
    std::span<const Label> labels = per_process.labels_of(s);
    if (s.pid == 100) of_pid_100[std::vector<Label>(labels.begin(), labels.end())] += s.count;
  }
  EXPECT_EQ(of_pid_100[main], 2u * 2);
  EXPECT_EQ((of_pid_100[{{"goroutine", "worker"}}]), 2u * 3);
}

}  // namespace
}  // namespace ember::store

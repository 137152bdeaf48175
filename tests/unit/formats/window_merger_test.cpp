#include "window_merger.hpp"

#include <gtest/gtest.h>

#include <map>
#include <span>
#include <tuple>

#include "collapsed_lines.hpp"
#include "sample_windows.hpp"

namespace ember::formats {
namespace {

// A pid that came back for another program in a later window (pid_max 32768
// on a busy host) is two processes of the merge, each with its samples.
TEST(WindowMergerTest, APidReusedInALaterWindowIsAnotherProcess) {
  auto window_of = [](std::int64_t start, const std::string& comm, std::uint64_t count) {
    Window w;
    w.start_ns = start;
    w.end_ns = start + 10;
    w.frames = {test::frame(comm + "_main")};
    w.stacks = {{0}};
    ProcessInfo process;
    process.pid = 300;
    process.comm = comm;
    w.processes = {process};
    w.samples = {{0, 300, 300, count}};
    return w;
  };
  WindowMerger merger;
  merger.add(window_of(0, "python3", 5));
  merger.add(window_of(10, "true", 2));
  merger.add(window_of(20, "python3", 1));  // the same pid and name: the same process
  merger.add(window_of(30, "true", 3));
  const Window w = merger.take();
  std::map<std::uint32_t, std::string> names;  // by instance
  for (const ProcessInfo& p : w.processes) {
    EXPECT_EQ(p.pid, 300u);
    names[p.instance] = p.comm;
  }
  EXPECT_EQ(names, (std::map<std::uint32_t, std::string>{{0, "true"}, {1, "python3"}}))
      << "the newest program instance 0";
  std::map<std::string, std::uint64_t> samples;
  for (const StackCount& s : w.samples) {
    samples[names[s.instance] + " in " + w.frames[w.stacks[s.stack][0]].name] += s.count;
  }
  EXPECT_EQ(samples, (std::map<std::string, std::uint64_t>{{"python3 in python3_main", 6},
                                                           {"true in true_main", 5}}));
  // The folded text of the run says the same.
  CollapsedLines lines;
  for (std::int64_t start : {0, 10, 20, 30}) {
    lines.add(window_of(start, start % 20 ? "true" : "python3", 1));
  }
  EXPECT_EQ(lines.text(), "python3;python3_main 2\ntrue;true_main 2\n");
}

TEST(WindowMergerTest, DeduplicatesFramesAndStacksAndSumsCounts) {
  WindowMerger merger;
  EXPECT_TRUE(merger.empty());
  merger.add(test::sample_window());
  merger.add(test::later_window());
  EXPECT_FALSE(merger.empty());
  const Window w = merger.take();
  EXPECT_TRUE(merger.empty()) << "taken: it starts again";

  EXPECT_EQ(w.start_ns, test::sample_window().start_ns);
  EXPECT_EQ(w.end_ns, test::later_window().end_ns);
  EXPECT_EQ(w.lost_samples, 5u);
  EXPECT_EQ(w.frequency_hz, 99u);
  EXPECT_EQ(w.frames.size(), 5u);  // main, handler, do_sys_open, weird, idle
  EXPECT_EQ(w.stacks.size(), 4u);
  EXPECT_EQ(w.total_samples(), 11u + 8u);
  EXPECT_EQ(w.processes.size(), 3u);
  EXPECT_EQ(w.threads.size(), 4u);

  // main;handler in pid 100 / tid 100: 5 + 7, one entry.
  std::uint64_t main_handler = 0;
  int entries = 0;
  for (const StackCount& s : w.samples) {
    const auto& stack = w.stacks[s.stack];
    if (s.pid == 100 && s.tid == 100 && stack.size() == 2 && w.frames[stack[0]].name == "main" &&
        w.frames[stack[1]].name == "handler") {
      main_handler += s.count;
      ++entries;
    }
  }
  EXPECT_EQ(entries, 1);
  EXPECT_EQ(main_handler, 12u);
}

TEST(WindowMergerTest, MetricsOfEveryWindowInOrderAndTheLatestHost) {
  Window a = test::sample_window();
  Window b = test::later_window();
  a.host = "old-name";
  b.host = "new-name";
  a.host_metrics = {{a.start_ns + 1, 0.1, 10, 5}};
  b.host_metrics = {{b.start_ns + 1, 0.2, 10, 4}, {b.start_ns + 2, 0.3, 10, 3}};
  a.process_metrics = {{a.start_ns + 1, 100, 1.0, 7}};
  b.process_metrics = {{b.start_ns + 1, 100, 0.5, 8}};
  std::vector<Window> windows = {a, b};
  Window merged = merge_windows(windows);
  EXPECT_EQ(merged.host, "new-name");
  ASSERT_EQ(merged.host_metrics.size(), 3u);
  EXPECT_EQ(merged.host_metrics[0].cpu_utilization, 0.1);
  EXPECT_EQ(merged.host_metrics[2].memory_available_bytes, 3u);
  ASSERT_EQ(merged.process_metrics.size(), 2u);
  EXPECT_EQ(merged.process_metrics[1].rss_bytes, 8u);
}

TEST(WindowMergerTest, LaterThreadNameWins) {
  Window a = test::later_window();
  Window b = test::later_window();
  b.threads[0].name = "renamed";
  std::vector<Window> windows = {a, b};
  Window merged = merge_windows(windows);
  ASSERT_EQ(merged.threads.size(), 1u);
  EXPECT_EQ(merged.threads[0].name, "renamed");
}

TEST(WindowMergerTest, LabelledSamplesStayApart) {
  Window labelled = test::labelled_sample_window();
  Window plain = test::sample_window();
  Window merged = merge_windows(std::vector<Window>{labelled, plain, labelled});
  EXPECT_EQ(merged.label_sets, labelled.label_sets);
  std::map<std::pair<std::uint32_t, std::string>, std::uint64_t> counts;  // (pid, goroutine)
  for (const StackCount& s : merged.samples) {
    std::string goroutine;
    for (const Label& l : merged.labels_of(s)) {
      if (l.key == "goroutine") goroutine = l.value;
    }
    counts[{s.pid, goroutine}] += s.count;
  }
  EXPECT_EQ((counts[{100, "worker"}]), 2u * 5);
  EXPECT_EQ((counts[{100, "main"}]), 2u * 2);
  EXPECT_EQ((counts[{100, ""}]), 7u);  // the plain window's
  EXPECT_EQ(merged.total_samples(), 3u * 11);
}

}  // namespace
}  // namespace ember::formats

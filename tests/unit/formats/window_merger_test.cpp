#include "window_merger.hpp"

#include <gtest/gtest.h>

#include <map>
#include <span>
#include <tuple>

#include "sample_windows.hpp"

namespace ember::formats {
namespace {

TEST(WindowMergerTest, DeduplicatesFramesAndStacksAndSumsCounts) {
  WindowMerger merger;
  EXPECT_TRUE(merger.empty());
  merger.add(test::sample_window());
  merger.add(test::later_window());
  EXPECT_FALSE(merger.empty());
  const Window& w = merger.merged();

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

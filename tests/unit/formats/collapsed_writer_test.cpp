#include "collapsed_writer.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "sample_windows.hpp"
#include "window_merger.hpp"

namespace ember::formats {
namespace {

TEST(CollapsedWriterTest, OneLinePerStackRootFirstMergedAcrossPidsOfOneComm) {
  EXPECT_EQ(collapsed_text(test::sample_window()),
            "nginx;main;weird_name_x 1\n"
            "python3;main;handler 8\n"
            "python3;main;handler;do_sys_open_[k] 2\n");
}

TEST(CollapsedWriterTest, ThreadFramesSplitByThread) {
  EXPECT_EQ(collapsed_text(test::sample_window(), CollapsedOptions{.thread_frames = true}),
            "nginx;nginx/300;main;weird_name_x 1\n"
            "python3;python3/100;main;handler 5\n"
            "python3;python3/200;main;handler 3\n"
            "python3;worker-1/101;main;handler;do_sys_open_[k] 2\n");
}

TEST(CollapsedWriterTest, FrameEscapingAndKernelSuffix) {
  EXPECT_EQ(collapsed_frame(test::frame("a;b\r\nc\td")), "a_b__c_d");
  EXPECT_EQ(collapsed_frame(test::frame("schedule", frame_kind::kernel)), "schedule_[k]");
  EXPECT_EQ(collapsed_frame(test::frame("")), "[unknown]");
  // Spaces are fine: the count is the last field.
  EXPECT_EQ(collapsed_frame(test::frame("operator new 2")), "operator new 2");
}

TEST(CollapsedWriterTest, InlinedFunctionsAreMarked) {
  Frame inlined = test::frame("mix_inlined", frame_kind::native, "hot.c", 14);
  inlined.inlined = true;
  EXPECT_EQ(collapsed_frame(inlined), "mix_inlined_[i]");
  Window w;
  w.frames = {test::frame("main", frame_kind::native, "hot.c", 30),
              test::frame("outer_work", frame_kind::native, "hot.c", 22), inlined};
  w.stacks = {{0, 1, 2}};
  w.samples = {{0, 7, 7, 5}};
  w.processes = {{7, "hot", "", "", "", 0, 0, "", "", "", ""}};
  EXPECT_EQ(collapsed_text(w), "hot;main;outer_work;mix_inlined_[i] 5\n");
}

TEST(CollapsedWriterTest, UnknownProcessAndCommWithSemicolon) {
  Window w;
  w.frames = {test::frame("f")};
  w.stacks = {{0}};
  w.samples = {{0, 7, 7, 2}, {0, 8, 8, 3}};
  w.processes = {{8, "a;b", "", "", "", 0, 0, "", "", "", ""}};
  EXPECT_EQ(collapsed_text(w), "[pid 7];f 2\na_b;f 3\n");
}

TEST(CollapsedWriterTest, EmptyWindowIsEmptyText) { EXPECT_EQ(collapsed_text(Window{}), ""); }

TEST(CollapsedWriterTest, MergedWindowsSumCounts) {
  std::vector<Window> windows = {test::sample_window(), test::later_window()};
  EXPECT_EQ(collapsed_text(merge_windows(windows)),
            "nginx;main;weird_name_x 1\n"
            "python3;main;handler 15\n"
            "python3;main;handler;do_sys_open_[k] 2\n"
            "python3;main;idle 1\n");
}

// The plain way to write the format: every line built, summed in a sorted
// map. collapsed_text compares lines piecewise instead; it must agree.
std::string reference_text(const Window& w) {
  std::map<std::string, std::uint64_t> counts;
  for (const StackCount& sample : w.samples) {
    if (sample.count == 0 || sample.stack >= w.stacks.size()) continue;
    std::string line = "[pid " + std::to_string(sample.pid) + "]";
    for (const ProcessInfo& process : w.processes) {
      if (process.pid == sample.pid && !process.comm.empty()) line = process.comm;
    }
    for (std::uint32_t frame : w.stacks[sample.stack])
      line += ";" + collapsed_frame(w.frames[frame]);
    counts[line] += sample.count;
  }
  std::string out;
  for (const auto& [line, count] : counts) out += line + " " + std::to_string(count) + "\n";
  return out;
}

TEST(CollapsedWriterTest, SortedAndMergedAsWholeLinesWouldBe) {
  // Names that are prefixes of each other, that sort differently once the
  // next ';' follows, the same name at two addresses (two frames, one text),
  // and comms that are prefixes of frame texts.
  const std::vector<std::string> names = {"a", "ab", "a b", "b", "ab;", "", "~", "a\xff", "_"};
  std::mt19937 random(7);
  for (int round = 0; round < 50; ++round) {
    Window w;
    for (const std::string& name : names) {
      w.frames.push_back(test::frame(name));
      w.frames.push_back(test::frame(name, round % 2 ? frame_kind::kernel : frame_kind::native));
    }
    for (int i = 0; i < 40; ++i) {
      std::vector<std::uint32_t> stack(random() % 4);
      for (std::uint32_t& frame : stack) frame = random() % w.frames.size();
      w.stacks.push_back(stack);
    }
    w.processes = {{1, "a", "", "", "", 0, 0, "", "", "", ""},
                   {2, "ab", "", "", "", 0, 0, "", "", "", ""},
                   {3, "a", "", "", "", 0, 0, "", "", "", ""}};
    for (int i = 0; i < 120; ++i) {
      std::uint32_t pid = 1 + random() % 4;  // pid 4: no process info
      w.samples.push_back({static_cast<std::uint32_t>(random() % w.stacks.size()), pid, pid,
                           static_cast<std::uint32_t>(random() % 3)});
    }
    ASSERT_EQ(collapsed_text(w), reference_text(w)) << "round " << round;
  }
}

}  // namespace
}  // namespace ember::formats

#include "collapsed_writer.hpp"

#include <gtest/gtest.h>

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
  EXPECT_EQ(collapsed_frame(test::frame("schedule", FrameKind::kernel)), "schedule_[k]");
  EXPECT_EQ(collapsed_frame(test::frame("")), "[unknown]");
  // Spaces are fine: the count is the last field.
  EXPECT_EQ(collapsed_frame(test::frame("operator new 2")), "operator new 2");
}

TEST(CollapsedWriterTest, InlinedFunctionsAreMarked) {
  Frame inlined = test::frame("mix_inlined", FrameKind::native, "hot.c", 14);
  inlined.inlined = true;
  EXPECT_EQ(collapsed_frame(inlined), "mix_inlined_[i]");
  Window w;
  w.frames = {test::frame("main", FrameKind::native, "hot.c", 30),
              test::frame("outer_work", FrameKind::native, "hot.c", 22), inlined};
  w.stacks = {{0, 1, 2}};
  w.samples = {{0, 7, 7, 5}};
  w.processes = {{7, "hot", "", "", "", 0, 0, "", "", ""}};
  EXPECT_EQ(collapsed_text(w), "hot;main;outer_work;mix_inlined_[i] 5\n");
}

TEST(CollapsedWriterTest, UnknownProcessAndCommWithSemicolon) {
  Window w;
  w.frames = {test::frame("f")};
  w.stacks = {{0}};
  w.samples = {{0, 7, 7, 2}, {0, 8, 8, 3}};
  w.processes = {{8, "a;b", "", "", "", 0, 0, "", "", ""}};
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

}  // namespace
}  // namespace ember::formats

#include "function_stats.hpp"

#include <gtest/gtest.h>

#include "sample_windows.hpp"

namespace ember::report {
namespace {

const FunctionStats& find(const FunctionTable& t, const std::string& name) {
  for (const auto& f : t.functions) {
    if (f.name == name) return f;
  }
  throw std::runtime_error("no function " + name);
}

TEST(FunctionStatsTest, SelfAndTotalOfTheSampleWindow) {
  // main;handler x8, main;handler;do_sys_open x2, main;weird x1
  FunctionTable t = function_table(test::sample_window());
  EXPECT_EQ(t.samples, 11u);
  EXPECT_EQ(find(t, "main").self, 0u);
  EXPECT_EQ(find(t, "main").total, 11u);
  EXPECT_EQ(find(t, "handler").self, 8u);
  EXPECT_EQ(find(t, "handler").total, 10u);
  EXPECT_EQ(find(t, "handler").file, "app.py");
  EXPECT_EQ(find(t, "do_sys_open").kind, frame_kind::kernel);
  EXPECT_DOUBLE_EQ(t.self_share(find(t, "do_sys_open")), 2.0 / 11);
  EXPECT_DOUBLE_EQ(t.total_share(find(t, "main")), 1.0);
  // By self, descending; ties by total.
  ASSERT_EQ(t.functions.size(), 4u);
  EXPECT_EQ(t.functions[0].name, "handler");
  EXPECT_EQ(t.functions[1].name, "do_sys_open");
  EXPECT_EQ(t.functions[2].name, "weird;name\nx");
  EXPECT_EQ(t.functions[3].name, "main");
}

TEST(FunctionStatsTest, RecursionCountsOncePerSampleAndLinesMerge) {
  Window w;
  w.frames = {test::frame("main"), test::frame("fib", frame_kind::python, "fib.py", 3),
              test::frame("fib", frame_kind::python, "fib.py", 4),
              test::frame("fib", frame_kind::native, "", 0)};  // another kind: another function
  w.stacks = {{0, 1, 2, 1, 2}, {0, 3}};
  w.samples = {{0, 1, 1, 6}, {1, 1, 1, 4}};
  FunctionTable t = function_table(w);
  ASSERT_EQ(t.functions.size(), 3u);
  const FunctionStats& python = t.functions[0];
  EXPECT_EQ(python.kind, frame_kind::python);
  EXPECT_EQ(python.self, 6u);
  EXPECT_EQ(python.total, 6u);  // not 24
  EXPECT_EQ(t.functions[1].kind, frame_kind::native);
  EXPECT_EQ(t.functions[1].self, 4u);
  EXPECT_EQ(find(t, "main").total, 10u);
}

TEST(FunctionStatsTest, EmptyWindow) {
  FunctionTable t = function_table(Window{});
  EXPECT_EQ(t.samples, 0u);
  EXPECT_TRUE(t.functions.empty());
}

}  // namespace
}  // namespace ember::report

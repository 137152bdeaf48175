#include "profile_diff.hpp"

#include <gtest/gtest.h>

#include "sample_windows.hpp"

namespace ember::report {
namespace {

// A process whose `hot` function takes `hot` samples out of 100.
Window run(std::uint64_t hot, const std::string& hot_name = "hot") {
  Window w;
  w.frames = {test::frame("main"), test::frame("serve"), test::frame(hot_name),
              test::frame("other")};
  w.stacks = {{0, 1, 2}, {0, 1, 3}};
  w.samples = {{0, 1, 1, hot}, {1, 1, 1, 100 - hot}};
  return w;
}

TEST(ProfileDiffTest, TheChangedFunctionComesFirstWithANegativeDelta) {
  auto deltas = diff_functions(function_table(run(80)), function_table(run(20)));
  ASSERT_EQ(deltas.size(), 4u);
  EXPECT_EQ(deltas[0].name, "hot");
  EXPECT_DOUBLE_EQ(deltas[0].total_before, 0.8);
  EXPECT_DOUBLE_EQ(deltas[0].total_after, 0.2);
  EXPECT_NEAR(deltas[0].total_delta(), -0.6, 1e-12);
  EXPECT_NEAR(deltas[0].self_delta(), -0.6, 1e-12);
  EXPECT_EQ(deltas[1].name, "other");
  EXPECT_NEAR(deltas[1].total_delta(), 0.6, 1e-12);
  // Callers of both keep their share.
  EXPECT_DOUBLE_EQ(deltas[2].total_delta(), 0);
  EXPECT_DOUBLE_EQ(deltas[3].total_delta(), 0);
}

TEST(ProfileDiffTest, SharesNotCountsSoLongerRangesCompareFairly) {
  Window before = run(50);
  Window after = run(50);
  for (auto& s : after.samples) s.count *= 7;
  for (const auto& d : diff_functions(function_table(before), function_table(after))) {
    EXPECT_DOUBLE_EQ(d.total_delta(), 0) << d.name;
  }
}

TEST(ProfileDiffTest, FunctionsOfOnlyOneSide) {
  auto deltas =
      diff_functions(function_table(run(30, "old_way")), function_table(run(10, "new_way")));
  ASSERT_EQ(deltas.size(), 5u);
  EXPECT_EQ(deltas[0].name, "old_way");  // -30 points
  EXPECT_DOUBLE_EQ(deltas[0].total_after, 0);
  EXPECT_EQ(deltas[1].name, "other");    // +20
  EXPECT_EQ(deltas[2].name, "new_way");  // +10
  EXPECT_DOUBLE_EQ(deltas[2].total_before, 0);
}

}  // namespace
}  // namespace ember::report

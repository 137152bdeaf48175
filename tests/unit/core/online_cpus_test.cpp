#include "sampler/online_cpus.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

namespace ember {
namespace {

TEST(ParseCpuList, RangesAndSingles) {
  EXPECT_EQ(parse_cpu_list("0-3,5,7-8\n"), (std::vector<int>{0, 1, 2, 3, 5, 7, 8}));
  EXPECT_EQ(parse_cpu_list("0"), (std::vector<int>{0}));
}

TEST(ParseCpuList, MalformedIsEmpty) {
  EXPECT_TRUE(parse_cpu_list("3-1").empty());
  EXPECT_TRUE(parse_cpu_list("a-b").empty());
  EXPECT_TRUE(parse_cpu_list("").empty());
}

TEST(OnlineCpus, MatchesTheSystem) {
  EXPECT_EQ(static_cast<long>(online_cpus().size()), sysconf(_SC_NPROCESSORS_ONLN));
}

}  // namespace
}  // namespace ember

#include "check_summary.hpp"

#include <gtest/gtest.h>

#include <string>

namespace ember::store {
namespace {

TEST(CheckSummary, AHundredProblemsBecomeOneLineWithTheFirstFew) {
  std::string verdict = "*** in database main ***\n";
  for (int page = 1; page <= 100; ++page) {
    verdict += "Page " + std::to_string(page) + ": never used\n";
  }
  std::string summary = summarize_check(verdict, 3);
  EXPECT_EQ(summary,
            "100 problems: Page 1: never used; Page 2: never used; Page 3: never used (and 97 "
            "more)");
  EXPECT_EQ(summary.find('\n'), std::string::npos);
}

TEST(CheckSummary, OneProblemIsItself) {
  EXPECT_EQ(summarize_check("*** in database main ***\nPage 7: btreeInitPage() returns error"),
            "Page 7: btreeInitPage() returns error");
  EXPECT_EQ(summarize_check("no answer"), "no answer");
}

}  // namespace
}  // namespace ember::store

#include "cli/arguments.hpp"

#include <gtest/gtest.h>

namespace ember::cli {
namespace {

Arguments make(std::vector<const char*> args) {
  args.insert(args.begin(), "ember");
  return Arguments(static_cast<int>(args.size()), const_cast<char**>(args.data()), 1);
}

TEST(Arguments, FlagsWithSeparateAndInlineValues) {
  Arguments args = make({"--pid", "12", "--frequency=999", "--output", "x.folded"});
  EXPECT_EQ(args.next_flag(), "--pid");
  EXPECT_EQ(args.number(1, 100), 12u);
  EXPECT_EQ(args.next_flag(), "--frequency");
  EXPECT_EQ(args.number(1, 10000), 999u);
  EXPECT_EQ(args.next_flag(), "--output");
  EXPECT_EQ(args.value(), "x.folded");
  EXPECT_EQ(args.next_flag(), std::nullopt);
  EXPECT_FALSE(args.failed());
}

TEST(Arguments, OutOfRangeNumberSaysWhichFlag) {
  Arguments args = make({"--frequency", "0"});
  args.next_flag();
  args.number(1, 10000);
  EXPECT_EQ(args.error(), "--frequency: expected a whole number from 1 to 10000, got '0'");
}

TEST(Arguments, MissingValueAndStrayArgument) {
  Arguments missing = make({"--output"});
  missing.next_flag();
  missing.value();
  EXPECT_EQ(missing.error(), "--output needs a value");

  Arguments stray = make({"record"});
  EXPECT_EQ(stray.next_flag(), std::nullopt);
  EXPECT_EQ(stray.error(), "unexpected argument 'record'");
}

TEST(Arguments, Seconds) {
  Arguments args = make({"--duration", "2.5", "--duration", "-1"});
  args.next_flag();
  EXPECT_DOUBLE_EQ(args.seconds(), 2.5);
  args.next_flag();
  args.seconds();
  EXPECT_NE(args.error().find("positive number of seconds"), std::string::npos);
}

}  // namespace
}  // namespace ember::cli

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
  EXPECT_NE(args.error().find("positive duration"), std::string::npos);
}

TEST(Arguments, DurationsWithUnits) {
  for (auto [text, seconds] : {std::pair{"500ms", 0.5}, {"30s", 30.0}, {"2m", 120.0},
                               {"1h", 3600.0}, {"1.5", 1.5}}) {
    Arguments args = make({"--duration", text});
    args.next_flag();
    EXPECT_DOUBLE_EQ(args.seconds(), seconds) << text;
    EXPECT_FALSE(args.failed()) << text << ": " << args.error();
  }
  for (const char* bad : {"2x", "ms", "0s", "-1m", "1 s"}) {
    Arguments args = make({"--duration", bad});
    args.next_flag();
    args.seconds();
    EXPECT_TRUE(args.failed()) << bad;
  }
}

TEST(Arguments, ShortAliasesAndTheCommandAfterDoubleDash) {
  Arguments args = make({"-p", "7", "-o", "-", "--", "python3", "-c", "pass"});
  args.alias("-p", "--pid");
  args.alias("-o", "--output");
  args.allow_command();
  EXPECT_EQ(args.next_flag(), "--pid");
  EXPECT_EQ(args.value(), "7");
  EXPECT_EQ(args.next_flag(), "--output");
  EXPECT_EQ(args.value(), "-");
  EXPECT_EQ(args.next_flag(), std::nullopt);
  EXPECT_FALSE(args.failed());
  EXPECT_EQ(args.command(), (std::vector<std::string>{"python3", "-c", "pass"}));

  Arguments refused = make({"--pid", "7", "--", "python3"});
  refused.next_flag();
  refused.value();
  EXPECT_EQ(refused.next_flag(), std::nullopt);
  EXPECT_EQ(refused.error(), "unexpected argument '--'");
}

}  // namespace
}  // namespace ember::cli

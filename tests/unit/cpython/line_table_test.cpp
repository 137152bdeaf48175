// The 3.11+ location table decoder against the interpreters' own
// co_positions() for every code object of a few stdlib modules, and on
// hand-made tables.
#include "line_table.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "pythons.hpp"

namespace ember::cpython {
namespace {

std::vector<std::uint8_t> from_hex(const std::string& hex) {
  std::vector<std::uint8_t> out;
  if (hex == "-") return out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

TEST(LocationTable, HandMadeEntries) {
  // long form (+3 lines) over 2 units, short form over 1, one-line form
  // (+2) over 3 units, no location over 1, no-column form (-4) over 1.
  const std::vector<std::uint8_t> table = {
      0x80 | (14 << 3) | 1, 6, 0, 1, 1,  // svarint 6 = +3
      0x80 | (0 << 3) | 0,  0,           // short
      0x80 | (12 << 3) | 2, 0, 0,        // +2
      0x80 | (15 << 3) | 0,              // none
      0x80 | (13 << 3) | 0, 9,           // svarint 9 = -4
  };
  LocationTable lines = LocationTable::decode(table, 10);
  EXPECT_EQ(lines.line_at(0), 13);
  EXPECT_EQ(lines.line_at(1), 13);
  EXPECT_EQ(lines.line_at(2), 13);
  EXPECT_EQ(lines.line_at(3), 15);
  EXPECT_EQ(lines.line_at(5), 15);
  EXPECT_EQ(lines.line_at(6), -1);
  EXPECT_EQ(lines.line_at(7), 11);
  EXPECT_EQ(lines.line_at(8), -1);
  EXPECT_EQ(lines.line_at(-1), -1);
}

TEST(LocationTable, TruncatedTableKeepsWholeEntries) {
  const std::vector<std::uint8_t> table = {0x80 | (13 << 3) | 0, 2, 0x80 | (14 << 3) | 0, 0x42};
  LocationTable lines = LocationTable::decode(table, 5);
  EXPECT_EQ(lines.ranges().size(), 1u);
  EXPECT_EQ(lines.line_at(0), 6);
  EXPECT_EQ(lines.line_at(1), -1);
}

TEST(LocationTable, MatchesCoPositionsOfRealInterpreters) {
  auto pythons = testing::all_pythons();
  EMBER_REQUIRE_PYENV(pythons);
  int versions = 0;
  for (const auto& python : pythons) {
    auto version =
        testing::run(python.interpreter + " -c 'import sys; print(sys.version_info >= (3, 11))'");
    if (!version || version->rfind("True", 0) != 0) continue;
    ++versions;
    auto out = testing::run(python.interpreter + " " EMBER_CPYTHON_DUMP_LINETABLES);
    ASSERT_TRUE(out) << python.label;
    std::istringstream input(*out);
    std::string line;
    int codes = 0;
    while (std::getline(input, line)) {
      std::istringstream fields(line);
      std::int32_t first_line = 0;
      std::string hex;
      fields >> first_line >> hex;
      LocationTable table = LocationTable::decode(from_hex(hex), first_line);
      std::int32_t expected;
      std::int64_t unit = 0;
      for (; fields >> expected; ++unit) {
        ASSERT_EQ(table.line_at(unit), expected)
            << python.label << ": code unit " << unit << " of: " << line.substr(0, 200);
      }
      EXPECT_EQ(table.line_at(unit), -1) << python.label << ": table longer than the code";
      ++codes;
    }
    EXPECT_GT(codes, 100) << python.label;
  }
  EXPECT_GE(versions, 3) << "expected pyenv 3.11, 3.12, 3.13";
}

}  // namespace
}  // namespace ember::cpython

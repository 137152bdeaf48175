// The line table decoders (co_lnotab, 3.10's co_linetable, 3.11+'s location
// table) against each interpreter's own answers (PyCode_Addr2Line,
// co_positions()) for every code object of a few stdlib modules, and on
// hand-made tables.
#include "line_table.hpp"

#include "code_reader.hpp"
#include "detect.hpp"

#include <gtest/gtest.h>

#include <set>
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

TEST(LineTable, HandMadeLocationEntries) {
  // long form (+3 lines) over 2 units, short form over 1, one-line form
  // (+2) over 3 units, no location over 1, no-column form (-4) over 1.
  const std::vector<std::uint8_t> table = {
      0x80 | (14 << 3) | 1, 6, 0, 1, 1,  // svarint 6 = +3
      0x80 | (0 << 3) | 0,  0,           // short
      0x80 | (12 << 3) | 2, 0, 0,        // +2
      0x80 | (15 << 3) | 0,              // none
      0x80 | (13 << 3) | 0, 9,           // svarint 9 = -4
  };
  LineTable lines = LineTable::decode_locations(table, 10);
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

TEST(LineTable, EntriesOnOneLineKeepOneRange) {
  // Line 21 for 3 + 2 + 8 units (a long form, then two short forms that
  // keep the line), line 22 for 1, then 2 units with no location.
  const std::vector<std::uint8_t> table = {0x80 | (14 << 3) | 2, 2, 0, 1, 5,  // +1, columns
                                           0x80 | (0 << 3) | 1,  7,     // short form, same line
                                           0x80 | (3 << 3) | 7,  9,     // short form, same line
                                           0x80 | (11 << 3) | 0, 1, 2,  // one-line form, +1
                                           0x80 | (15 << 3) | 1};       // no location
  LineTable lines = LineTable::decode_locations(table, 20);
  ASSERT_EQ(lines.ranges().size(), 3u);
  for (int unit = 0; unit < 13; ++unit) EXPECT_EQ(lines.line_at(unit), 21) << unit;
  EXPECT_EQ(lines.line_at(13), 22);
  EXPECT_EQ(lines.line_at(14), -1);
  EXPECT_EQ(lines.line_at(15), -1);
  EXPECT_EQ(lines.line_at(16), -1);
  EXPECT_EQ(lines.ranges().capacity(), lines.ranges().size());
}

TEST(LineTable, TruncatedLocationTableKeepsWholeEntries) {
  const std::vector<std::uint8_t> table = {0x80 | (13 << 3) | 0, 2, 0x80 | (14 << 3) | 0, 0x42};
  LineTable lines = LineTable::decode_locations(table, 5);
  EXPECT_EQ(lines.ranges().size(), 1u);
  EXPECT_EQ(lines.line_at(0), 6);
  EXPECT_EQ(lines.line_at(1), -1);
}

TEST(LineTable, LinesPastAnInt32AreNoLineNotAnOverflow) {
  // A corrupt (or hostile) code object: a first line near INT32_MAX and
  // deltas that run past it, in each table format. The fuzzer found the
  // signed overflow; its lines are now "no line".
  const std::int32_t near_max = INT32_MAX - 1;
  const std::vector<std::uint8_t> locations = {0x80 | (13 << 3) | 0, 10,  // +5
                                               0x80 | (13 << 3) | 0, 11};  // -5
  LineTable lines = LineTable::decode_locations(locations, near_max);
  EXPECT_EQ(lines.line_at(0), -1);
  EXPECT_EQ(lines.line_at(1), near_max);
  EXPECT_EQ(LineTable::decode_linetable_310(std::vector<std::uint8_t>{2, 100}, near_max).line_at(0),
            -1);
  EXPECT_EQ(LineTable::decode_lnotab(std::vector<std::uint8_t>{2, 100, 2, 0}, near_max, true)
                .line_at(3),
            -1);
}

TEST(LineTable, AnyRecordedPositionMapsToAUnitOrNone) {
  // 3.12: a position is the address of the instruction in the code object's
  // inline bytecode, read from the process; any 64-bit value may arrive.
  const cpython_offsets* offsets = find_offsets(3, 12);
  ASSERT_NE(offsets, nullptr);
  CodeReader reader(*offsets, [](std::uint64_t, void*, std::size_t) { return false; });
  const std::uint64_t adaptive = offsets->code_code_adaptive;
  EXPECT_EQ(reader.table_offset(adaptive + 10), 5);
  EXPECT_EQ(reader.table_offset(adaptive - 1), -1);
  EXPECT_EQ(reader.table_offset(0x8000000000000000ull), (0x8000000000000000ull - adaptive) / 2);
  EXPECT_GE(reader.table_offset(~0ull), 0);
}

TEST(LineTable, HandMadeLnotab) {
  // 4 bytes on line 10, then +2 lines over 6 bytes, then -1 (signed) or +255
  // (2.7's unsigned deltas) to the end.
  const std::vector<std::uint8_t> table = {4, 2, 6, 0xff};
  LineTable lines = LineTable::decode_lnotab(table, 10, true);
  EXPECT_EQ(lines.line_at(0), 10);
  EXPECT_EQ(lines.line_at(3), 10);
  EXPECT_EQ(lines.line_at(4), 12);
  EXPECT_EQ(lines.line_at(9), 12);
  EXPECT_EQ(lines.line_at(10), 11);
  EXPECT_EQ(lines.line_at(1000), 11);
  EXPECT_EQ(lines.line_at(-1), -1);
  EXPECT_EQ(LineTable::decode_lnotab(table, 10, false).line_at(10), 267);
}

TEST(LineTable, HandMadeLinetable310) {
  // 4 bytes at +1, an empty range at +3, 2 bytes at +2 (so line 16), 2
  // bytes without a line.
  const std::vector<std::uint8_t> table = {4, 1, 0, 3, 2, 2, 2, 0x80};
  LineTable lines = LineTable::decode_linetable_310(table, 10);
  EXPECT_EQ(lines.line_at(0), 11);
  EXPECT_EQ(lines.line_at(3), 11);
  EXPECT_EQ(lines.line_at(4), 16);
  EXPECT_EQ(lines.line_at(6), -1);
  EXPECT_EQ(lines.line_at(8), -1);
}

// One line of dump_linetables.py's output checked against its decoder.
void check_dumped_code(const std::string& label, const std::string& line, int& codes) {
  std::istringstream fields(line);
  std::string kind, hex;
  std::int32_t first_line = 0;
  fields >> kind >> first_line >> hex;
  LineTable table;
  if (kind == "locations") {
    table = LineTable::decode_locations(from_hex(hex), first_line);
  } else if (kind == "linetable310") {
    table = LineTable::decode_linetable_310(from_hex(hex), first_line);
  } else if (kind == "lnotab" || kind == "lnotab27") {
    table = LineTable::decode_lnotab(from_hex(hex), first_line, kind == "lnotab");
  } else {
    FAIL() << label << ": unknown table kind " << kind;
  }
  std::int32_t expected;
  std::int64_t unit = 0;
  for (; fields >> expected; ++unit) {
    ASSERT_EQ(table.line_at(unit), expected)
        << label << ": unit " << unit << " of: " << line.substr(0, 200);
  }
  if (kind == "locations") {
    EXPECT_EQ(table.line_at(unit), -1) << label << ": table longer than the code";
  }
  ++codes;
}

TEST(LineTable, MatchesEveryRealInterpreter) {
  auto pythons = testing::all_pythons();
  EMBER_REQUIRE_PYENV(pythons);
  std::set<std::string> kinds;
  for (const auto& python : pythons) {
    auto out = testing::run(python.interpreter + " " EMBER_CPYTHON_DUMP_LINETABLES);
    ASSERT_TRUE(out) << python.label;
    std::istringstream input(*out);
    std::string line;
    int codes = 0;
    while (std::getline(input, line)) {
      kinds.insert(line.substr(0, line.find(' ')));
      check_dumped_code(python.label, line, codes);
      if (::testing::Test::HasFatalFailure()) return;
    }
    EXPECT_GT(codes, 100) << python.label;
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"lnotab27", "lnotab", "linetable310", "locations"}))
      << "expected pyenv 2.7, 3.6-3.9, 3.10 and 3.11+";
}

}  // namespace
}  // namespace ember::cpython

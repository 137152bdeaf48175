#include "ember/perf_map.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "scratch_dir.hpp"

namespace ember {
namespace {

struct TempMap {
  TempMap() { std::ofstream(path, std::ios::binary).flush(); }
  ember::test::ScratchDir dir{"ember-perf-map"};
  void write(const std::string& text, bool append) {
    std::ofstream(path, append ? std::ios::binary | std::ios::app : std::ios::binary) << text;
  }
  std::string path = dir.file("perf-1.map");
};

std::string name_at(const PerfMap& map, std::uint64_t address) {
  const PerfMapEntry* entry = map.find(address);
  return entry ? *entry->name : "<none>";
}

TEST(PerfMapLine, ParsesHexWithoutPrefixAndNamesWithSpaces) {
  std::uint64_t start = 0;
  std::uint64_t size = 0;
  std::string_view name;
  ASSERT_TRUE(parse_perf_map_line("7f3a0000c0c0 5c JS:~fib /srv/app.js:3:20\n", start, size,
                                  name));
  EXPECT_EQ(start, 0x7f3a0000c0c0u);
  EXPECT_EQ(size, 0x5cu);
  EXPECT_EQ(name, "JS:~fib /srv/app.js:3:20");
}

TEST(PerfMapLine, RefusesGarbage) {
  std::uint64_t start = 0;
  std::uint64_t size = 0;
  std::string_view name;
  for (const char* bad : {"", "\n", "zz 10 f\n", "10 zz f\n", "10 10\n", "10 10 \n", "10 0 f\n",
                          " 10 10 f\n", "0x10 10 f\n", "10  10 f\n", "11112222333344445 10 f\n",
                          "ffffffffffffffff 2 wraps\n", "10\n"}) {
    EXPECT_FALSE(parse_perf_map_line(bad, start, size, name)) << "'" << bad << "'";
  }
}

TEST(PerfMap, FindsRangesAndSkipsBadLines) {
  PerfMap map;
  std::size_t used = map.add_lines(
      "1000 100 first\n"
      "garbage line\n"
      "2000 10 second one\n"
      "\x01\x02\xff binary\n"
      "3000 10 partial");
  EXPECT_EQ(used, std::string_view("1000 100 first\ngarbage line\n2000 10 second one\n"
                                   "\x01\x02\xff binary\n")
                      .size());
  EXPECT_EQ(map.size(), 2u);
  EXPECT_EQ(map.skipped_lines(), 2u);
  EXPECT_EQ(name_at(map, 0x1000), "first");
  EXPECT_EQ(name_at(map, 0x10ff), "first");
  EXPECT_EQ(name_at(map, 0x1100), "<none>");
  EXPECT_EQ(name_at(map, 0xfff), "<none>");
  EXPECT_EQ(name_at(map, 0x2005), "second one");
  EXPECT_EQ(name_at(map, 0x3000), "<none>");  // no newline yet
}

TEST(PerfMap, LaterLinesWinWhereRangesOverlap) {
  PerfMap map;
  map.add_lines(
      "1000 300 old\n"      // [1000, 1300)
      "1100 100 inside\n"   // splits old
      "1250 100 across\n"   // ends old's right piece
      "0f00 180 before\n"); // takes old's left piece's start
  EXPECT_EQ(name_at(map, 0xf00), "before");
  EXPECT_EQ(name_at(map, 0x107f), "before");
  EXPECT_EQ(name_at(map, 0x1080), "old");
  EXPECT_EQ(name_at(map, 0x10ff), "old");
  EXPECT_EQ(name_at(map, 0x1100), "inside");
  EXPECT_EQ(name_at(map, 0x11ff), "inside");
  EXPECT_EQ(name_at(map, 0x1200), "old");
  EXPECT_EQ(name_at(map, 0x1249), "old");
  EXPECT_EQ(name_at(map, 0x1250), "across");
  EXPECT_EQ(name_at(map, 0x134f), "across");
  EXPECT_EQ(name_at(map, 0x1350), "<none>");
  map.add_lines("0 10000 everything\n");
  EXPECT_EQ(map.size(), 1u);
  EXPECT_EQ(name_at(map, 0x1100), "everything");
}

TEST(PerfMap, ReadsOnlyWhatTheFileGrewByAndWaitsForALinesEnd) {
  TempMap file;
  file.write("1000 10 a\n2000 10 b", false);  // b still being written
  PerfMap map;
  ASSERT_TRUE(map.update(file.path)) << map.update(file.path).message();
  EXPECT_EQ(name_at(map, 0x1000), "a");
  EXPECT_EQ(name_at(map, 0x2000), "<none>");
  file.write("ee\n3000 10 c\n", true);
  ASSERT_TRUE(map.update(file.path));
  EXPECT_EQ(name_at(map, 0x2000), "bee");
  EXPECT_EQ(name_at(map, 0x3000), "c");
  EXPECT_EQ(map.size(), 3u);
  EXPECT_EQ(map.rewrites(), 0u);
  EXPECT_EQ(map.skipped_lines(), 0u);
}

TEST(PerfMap, StartsOverWhenTheMapIsRewritten) {
  TempMap file;
  file.write("1000 10 a\n2000 10 b\n3000 10 c\n", false);
  PerfMap map;
  ASSERT_TRUE(map.update(file.path));
  ASSERT_EQ(map.size(), 3u);

  // Truncated and written anew, shorter: the old ranges go.
  file.write("5000 10 e\n", false);
  ASSERT_TRUE(map.update(file.path));
  EXPECT_EQ(map.rewrites(), 1u);
  EXPECT_EQ(name_at(map, 0x1000), "<none>");
  EXPECT_EQ(name_at(map, 0x5000), "e");

  // Rewritten to a longer file: its first line changed.
  file.write("6000 10 f\n7000 10 g\n8000 10 h\n9000 10 i\n", false);
  ASSERT_TRUE(map.update(file.path));
  EXPECT_EQ(map.rewrites(), 2u);
  EXPECT_EQ(name_at(map, 0x5000), "<none>");
  EXPECT_EQ(name_at(map, 0x9000), "i");

  // Replaced by another file at the path (another inode).
  TempMap other;
  other.write("a000 10 j\n", false);
  ASSERT_EQ(rename(other.path.c_str(), file.path.c_str()), 0);
  ASSERT_TRUE(map.update(file.path));
  EXPECT_EQ(map.rewrites(), 3u);
  EXPECT_EQ(map.size(), 1u);
  EXPECT_EQ(name_at(map, 0xa000), "j");
}

TEST(PerfMap, RewrittenBetweenReadsOfOneUpdateLeavesNoStaleNames) {
  // A big map truncated and rewritten short: the next update notices and
  // keeps only the new file's lines.
  TempMap file;
  std::string big;
  for (int i = 0; i < 5000; ++i) {
    char line[64];
    snprintf(line, sizeof line, "%x 10 old_%d\n", 0x100000 + i * 0x10, i);
    big += line;
  }
  PerfMap reader;
  file.write(big, false);
  ASSERT_TRUE(reader.update(file.path));
  ASSERT_EQ(name_at(reader, 0x100000 + 4999 * 0x10), "old_4999");
  file.write("100000 10 new_0\n", false);
  ASSERT_TRUE(reader.update(file.path));
  EXPECT_EQ(reader.rewrites(), 1u);
  EXPECT_EQ(reader.size(), 1u);
  EXPECT_EQ(name_at(reader, 0x100000 + 4999 * 0x10), "<none>");
  EXPECT_EQ(name_at(reader, 0x100000), "new_0");
}

TEST(PerfMap, SkipsOverlongLinesAndKeepsReading) {
  TempMap file;
  std::string text = "1000 10 a\n2000 10 " + std::string(3 * 65536, 'x') + "\n3000 10 c\n";
  file.write(text, false);
  PerfMap map;
  ASSERT_TRUE(map.update(file.path));
  EXPECT_EQ(name_at(map, 0x1000), "a");
  EXPECT_EQ(name_at(map, 0x2000), "<none>");
  EXPECT_EQ(name_at(map, 0x3000), "c");
  EXPECT_EQ(map.skipped_lines(), 1u);
  file.write("4000 10 d\n", true);
  ASSERT_TRUE(map.update(file.path));
  EXPECT_EQ(name_at(map, 0x4000), "d");
  EXPECT_EQ(map.rewrites(), 0u);
}

TEST(PerfMap, MissingFileIsAnErrorThatKeepsWhatWasRead) {
  TempMap file;
  file.write("1000 10 a\n", false);
  PerfMap map;
  ASSERT_TRUE(map.update(file.path));
  unlink(file.path.c_str());
  Status status = map.update(file.path);
  EXPECT_FALSE(status);
  EXPECT_NE(status.message().find(file.path), std::string::npos);
  EXPECT_EQ(name_at(map, 0x1000), "a");
}

TEST(PerfMap, PathIsInTheProcessOwnTmp) {
  std::uint32_t pid = static_cast<std::uint32_t>(getpid());
  // This test runs in the root pid namespace or in one of its own: either
  // way the name carries the pid the process sees for itself.
  EXPECT_EQ(PerfMap::path_for(pid),
            "/proc/" + std::to_string(pid) + "/root/tmp/perf-" + std::to_string(getpid()) +
                ".map");
}

}  // namespace
}  // namespace ember

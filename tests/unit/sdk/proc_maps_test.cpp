#include "ember/proc_maps.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

namespace ember {
namespace {

// Lines as real kernels print them (padding after the inode included).
constexpr std::string_view kRealMaps =
    "55d0c3a00000-55d0c3a28000 r--p 00000000 08:01 1835042                    /usr/bin/python3.11\n"
    "55d0c3a28000-55d0c3cf0000 r-xp 00028000 08:01 1835042                    /usr/bin/python3.11\n"
    "55d0c5b2e000-55d0c5c4f000 rw-p 00000000 00:00 0                          [heap]\n"
    "7f1c2a000000-7f1c2a021000 rw-p 00000000 00:00 0 \n"
    "7f1c2b400000-7f1c2b5a0000 r-xp 00028000 fd:00 262417                     /opt/My App/lib/libfoo bar.so\n"
    "7f1c2b600000-7f1c2b601000 r-xs 00001000 103:02 99                        /memfd:jit (deleted)\n"
    "7f1c2b700000-7f1c2b710000 r-xp 00000000 08:01 4242                       /tmp/old build (deleted)\n"
    "7ffd6c1e0000-7ffd6c201000 rw-p 00000000 00:00 0                          [stack]\n"
    "7ffd6c3f4000-7ffd6c3f8000 r--p 00000000 00:00 0                          [vvar]\n"
    "7ffd6c3f8000-7ffd6c3fa000 r-xp 00000000 00:00 0                          [vdso]\n"
    "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n";

TEST(ProcMaps, ParsesRealWorldLines) {
  std::vector<Mapping> maps;
  ASSERT_TRUE(parse_proc_maps(kRealMaps, maps).is_ok());
  ASSERT_EQ(maps.size(), 11u);

  const Mapping& text = maps[1];
  EXPECT_EQ(text.start, 0x55d0c3a28000u);
  EXPECT_EQ(text.end, 0x55d0c3cf0000u);
  EXPECT_EQ(text.offset, 0x28000u);
  EXPECT_EQ(text.dev_major, 8u);
  EXPECT_EQ(text.dev_minor, 1u);
  EXPECT_EQ(text.inode, 1835042u);
  EXPECT_TRUE(text.readable);
  EXPECT_FALSE(text.writable);
  EXPECT_TRUE(text.executable);
  EXPECT_FALSE(text.shared);
  EXPECT_EQ(text.path, "/usr/bin/python3.11");
  EXPECT_FALSE(text.deleted);
  EXPECT_TRUE(text.is_file());

  EXPECT_EQ(maps[2].path, "[heap]");
  EXPECT_FALSE(maps[2].is_file());
  EXPECT_EQ(maps[3].path, "");  // anonymous, trailing space
  EXPECT_FALSE(maps[3].is_file());
  EXPECT_EQ(maps[4].path, "/opt/My App/lib/libfoo bar.so");
  EXPECT_EQ(maps[4].dev_major, 0xfdu);
  EXPECT_EQ(maps[5].path, "/memfd:jit");
  EXPECT_TRUE(maps[5].deleted);
  EXPECT_TRUE(maps[5].shared);
  EXPECT_EQ(maps[5].dev_major, 0x103u);
  EXPECT_EQ(maps[6].path, "/tmp/old build");
  EXPECT_TRUE(maps[6].deleted);
  EXPECT_EQ(maps[9].path, "[vdso]");
  EXPECT_EQ(maps[10].start, 0xffffffffff600000u);
  EXPECT_FALSE(maps[10].readable);
  EXPECT_TRUE(maps[10].executable);
}

TEST(ProcMaps, MalformedLineNamesItsNumberAndKeepsEarlierMappings) {
  std::string text =
      "00400000-00452000 r-xp 00000000 08:01 100 /bin/a\n"
      "00651000-00652000 rw-p 00051000 08:01 100 /bin/a\n"
      "this is not a maps line\n"
      "00700000-00800000 r-xp 00000000 08:01 101 /bin/b\n";
  std::vector<Mapping> maps;
  Status status = parse_proc_maps(text, maps);
  ASSERT_FALSE(status.is_ok());
  EXPECT_NE(status.message().find("line 3"), std::string::npos) << status.message();
  ASSERT_EQ(maps.size(), 2u);
  EXPECT_EQ(maps[1].start, 0x651000u);
}

TEST(ProcMaps, RejectsBrokenFields) {
  for (std::string_view line : {
           "00400000 r-xp 00000000 08:01 100 /bin/a",           // no range
           "00500000-00400000 r-xp 00000000 08:01 100 /bin/a",  // end before start
           "00400000-00452000 rxp 00000000 08:01 100 /bin/a",   // short perms
           "00400000-00452000 r-xq 00000000 08:01 100 /bin/a",  // bad sharing flag
           "00400000-00452000 r-xp 0000zz00 08:01 100 /bin/a",  // bad offset
           "00400000-00452000 r-xp 00000000 0801 100 /bin/a",   // bad device
           "00400000-00452000 r-xp 00000000 08:01 1x0 /bin/a",  // bad inode
           "00400000-00452000 r-xp 00000000 08:01",             // truncated
           "g0400000-00452000 r-xp 00000000 08:01 100 /bin/a",  // bad hex
       }) {
    std::vector<Mapping> maps;
    Status status = parse_proc_maps(line, maps);
    EXPECT_FALSE(status.is_ok()) << line;
    EXPECT_NE(status.message().find("line 1"), std::string::npos) << status.message();
    EXPECT_TRUE(maps.empty()) << line;
  }
}

TEST(ProcMaps, PathThatIsOnlyTheDeletedMarkerStaysAPath) {
  std::vector<Mapping> maps;
  ASSERT_TRUE(parse_proc_maps("1000-2000 r-xp 0 00:00 0 (deleted)\n", maps).is_ok());
  ASSERT_EQ(maps.size(), 1u);
  EXPECT_EQ(maps[0].path, "(deleted)");
  EXPECT_FALSE(maps[0].deleted);
}

TEST(ProcMaps, FindMappingBinarySearch) {
  std::vector<Mapping> maps;
  ASSERT_TRUE(parse_proc_maps(kRealMaps, maps).is_ok());
  EXPECT_EQ(find_mapping(maps, 0x1000), nullptr);
  EXPECT_EQ(find_mapping(maps, 0x55d0c3a00000), &maps[0]);
  EXPECT_EQ(find_mapping(maps, 0x55d0c3a27fff), &maps[0]);
  EXPECT_EQ(find_mapping(maps, 0x55d0c3a28000), &maps[1]);  // end is exclusive
  EXPECT_EQ(find_mapping(maps, 0x55d0c3cf0000), nullptr);   // gap after the text
  EXPECT_EQ(find_mapping(maps, 0x7ffd6c3f9000), &maps[9]);
  EXPECT_EQ(find_mapping(maps, 0xffffffffff600fff), &maps[10]);
  EXPECT_EQ(find_mapping(maps, 0xffffffffffffffff), nullptr);
  EXPECT_EQ(find_mapping({}, 0x1000), nullptr);
}

TEST(ProcMaps, ReadsOwnProcess) {
  std::vector<Mapping> maps;
  ASSERT_TRUE(read_proc_maps(static_cast<std::uint32_t>(getpid()), maps).is_ok());
  ASSERT_FALSE(maps.empty());
  auto self = reinterpret_cast<std::uint64_t>(&read_proc_maps);
  const Mapping* code = find_mapping(maps, self);
  ASSERT_NE(code, nullptr);
  EXPECT_TRUE(code->executable);
  EXPECT_TRUE(code->is_file());
  for (std::size_t i = 1; i < maps.size(); ++i) EXPECT_LE(maps[i - 1].end, maps[i].start);
}

TEST(ProcMaps, MissingProcessIsAnError) {
  std::vector<Mapping> maps;
  Status status = read_proc_maps(0x7ffffff0, maps);
  EXPECT_FALSE(status.is_ok());
  EXPECT_NE(status.message().find("/proc/2147483632/maps"), std::string::npos) << status.message();
}

}  // namespace
}  // namespace ember

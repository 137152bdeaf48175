// Uncompressed copies of debug files with compressed sections, against
// inlined_hot built -g -gz=zlib: the copy must give libdw the same lines and
// inlined frames as the original, without a compressed section left.
#include "uncompressed_debug.hpp"

#include <fcntl.h>
#include <gelf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "dwarf_source.hpp"
#include "identity_of.hpp"
#include "ember/testing/fake_host.hpp"
#include "scratch_dir.hpp"

namespace ember::native {
namespace {

using test::identity_of;

using ember::test::ScratchDir;

namespace fs = std::filesystem;

std::size_t entries_under(const fs::path& directory) {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : fs::recursive_directory_iterator(directory)) ++count;
  return count;
}

// Debug sections that are compressed, and debug sections at all.
std::pair<int, int> debug_sections(const std::string& path) {
  elf_version(EV_CURRENT);
  int fd = ::open(path.c_str(), O_RDONLY);
  Elf* elf = elf_begin(fd, ELF_C_READ, nullptr);
  std::size_t names = 0;
  elf_getshdrstrndx(elf, &names);
  std::pair<int, int> count{0, 0};
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr shdr;
    gelf_getshdr(scn, &shdr);
    std::string name = elf_strptr(elf, names, shdr.sh_name);
    if (!name.starts_with(".debug_")) continue;
    count.second++;
    if (shdr.sh_flags & SHF_COMPRESSED) count.first++;
  }
  elf_end(elf);
  ::close(fd);
  return count;
}

// Every function and inlined frame, file and line, at each address of the text.
std::string lines_of(const std::string& path) {
  std::unique_ptr<DwarfSource> source;
  EXPECT_TRUE(DwarfSource::open(path, source).is_ok()) << path;
  if (!source) return {};
  std::string all;
  std::vector<SourceFunction> out;
  // inlined_hot is small: its code sits in the first pages after the headers.
  for (std::uint64_t vaddr = 0x1000; vaddr < 0x2000; ++vaddr) {
    if (!source->lookup(vaddr, out)) continue;
    for (const SourceFunction& f : out) {
      all += f.name + "@" + f.file + ":" + std::to_string(f.line) + (f.inlined ? "i;" : ";");
    }
    all += "\n";
  }
  return all;
}

TEST(UncompressedDebug, CopyGivesTheSameLinesWithNothingCompressed) {
  ASSERT_GT(debug_sections(EMBER_INLINED_GZ).first, 0) << "the fixture is not compressed";
  ScratchDir dir;
  ember::testkit::FakeHost host;
  UncompressedDebugFiles copies(dir.file("debug"), std::size_t{64} << 20, host);
  std::string copy = copies.path_for(EMBER_INLINED_GZ, identity_of(EMBER_INLINED_GZ));
  ASSERT_NE(copy, EMBER_INLINED_GZ) << host.count(LogLevel::debug, "");
  auto [compressed, total] = debug_sections(copy);
  EXPECT_EQ(compressed, 0);
  EXPECT_EQ(total, debug_sections(EMBER_INLINED_GZ).second);
  std::string expected = lines_of(EMBER_INLINED_GZ);
  EXPECT_NE(expected.find("i;"), std::string::npos) << "no inlined frame to compare";
  EXPECT_EQ(lines_of(copy), expected);
  // The next open (the next run) finds the copy as it is.
  auto written = fs::last_write_time(copy);
  EXPECT_EQ(copies.path_for(EMBER_INLINED_GZ, identity_of(EMBER_INLINED_GZ)), copy);
  EXPECT_EQ(fs::last_write_time(copy), written);
}

TEST(UncompressedDebug, FileWithNothingCompressedIsOpenedAsItIs) {
  ScratchDir dir;
  ember::testkit::FakeHost host;
  UncompressedDebugFiles copies(dir.file("debug"), std::size_t{64} << 20, host);
  EXPECT_EQ(copies.path_for(EMBER_INLINED_HOT, identity_of(EMBER_INLINED_HOT)), EMBER_INLINED_HOT);
  EXPECT_EQ(entries_under(dir.path()), 1u) << "only the directory";
}

TEST(UncompressedDebug, NoCopyWithoutAWritableDirectory) {
  ember::testkit::FakeHost host;
  UncompressedDebugFiles copies("/proc/ember-nowhere", std::size_t{64} << 20, host);
  EXPECT_EQ(copies.path_for(EMBER_INLINED_GZ, identity_of(EMBER_INLINED_GZ)), EMBER_INLINED_GZ);
  copies.path_for(EMBER_INLINED_GZ, identity_of(EMBER_INLINED_GZ));
  EXPECT_EQ(host.count(LogLevel::debug, "/proc/ember-nowhere"), 1u) << "said once";
}

TEST(UncompressedDebug, OldestCopiesGoBeyondTheLimit) {
  ScratchDir dir;
  ember::testkit::FakeHost host;
  UncompressedDebugFiles copies(dir.file("debug"), 1, host);  // room for the newest only
  FileIdentity first = identity_of(EMBER_INLINED_GZ);
  FileIdentity second = first;
  second.mtime_ns += 1;  // the same bytes under another identity: another copy
  std::string a = copies.path_for(EMBER_INLINED_GZ, first);
  std::string b = copies.path_for(EMBER_INLINED_GZ, second);
  ASSERT_NE(a, b);
  EXPECT_FALSE(fs::exists(a));
  EXPECT_TRUE(fs::exists(b));
}

TEST(UncompressedDebug, NotAnElfFileIsAnError) {
  ScratchDir dir;
  bool compressed = true;
  Status status = write_uncompressed_elf("/proc/self/status", dir.file("out"), compressed);
  EXPECT_FALSE(status.is_ok());
  EXPECT_FALSE(compressed);
  EXPECT_FALSE(fs::exists(dir.file("out")));
}

}  // namespace
}  // namespace ember::native

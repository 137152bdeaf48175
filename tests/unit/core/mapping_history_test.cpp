#include "process/mapping_history.hpp"

#include <gtest/gtest.h>

#include "process/process_table.hpp"

namespace ember {
namespace {

Mapping exec_mapping(std::uint64_t start, std::uint64_t end, std::uint64_t offset, std::uint64_t inode,
             std::string path) {
  Mapping m;
  m.start = start;
  m.end = end;
  m.offset = offset;
  m.inode = inode;
  m.dev_major = 8;
  m.readable = m.executable = true;
  m.path = std::move(path);
  return m;
}

TEST(MappingHistory, AnImageIsWhatWasMappedSinceTheLastExec) {
  MappingHistory history;
  history.on_mmap(7, exec_mapping(0x1000, 0x2000, 0, 1, "/bin/before"));
  EXPECT_EQ(history.image(7), nullptr) << "not exec'd while followed: /proc has it";

  history.on_exec(7, 100);
  history.on_mmap(7, exec_mapping(0x5000, 0x6000, 0x1000, 2, "/usr/bin/readlink"));
  history.on_mmap(7, exec_mapping(0x9000, 0xa000, 0x2000, 3, "/lib/libc.so.6"));
  history.on_mmap(7, exec_mapping(0x3000, 0x4000, 0, 0, "[vdso]"));
  const ExecImage* image = history.image(7);
  ASSERT_NE(image, nullptr);
  EXPECT_EQ(image->exec_ns, 100u);
  EXPECT_EQ(image->exe, "/usr/bin/readlink") << "the first file mapped";
  ASSERT_EQ(image->mappings.size(), 3u);
  EXPECT_EQ(image->mappings[0].path, "[vdso]") << "sorted by address";
  EXPECT_EQ(image->mappings[2].path, "/lib/libc.so.6");

  history.on_exec(7, 200);
  ASSERT_NE(history.image(7), nullptr);
  EXPECT_TRUE(history.image(7)->mappings.empty()) << "an exec starts a new image";
}

TEST(MappingHistory, AMappingOverOthersCutsThem) {
  std::vector<Mapping> mappings;
  insert_mapping(mappings, exec_mapping(0x1000, 0x5000, 0, 1, "/a"));
  insert_mapping(mappings, exec_mapping(0x2000, 0x3000, 0, 2, "/b"));
  ASSERT_EQ(mappings.size(), 3u);
  EXPECT_EQ(mappings[0].end, 0x2000u);
  EXPECT_EQ(mappings[1].path, "/b");
  EXPECT_EQ(mappings[2].start, 0x3000u);
  EXPECT_EQ(mappings[2].offset, 0x2000u) << "the rest of /a keeps its file offset";
  insert_mapping(mappings, exec_mapping(0x0, 0x6000, 0, 3, "/c"));
  ASSERT_EQ(mappings.size(), 1u);
  EXPECT_EQ(mappings[0].path, "/c");
}

TEST(MappingHistory, ForgetsTheExitedAndTheOld) {
  MappingHistory history;
  history.on_exec(1, 100);
  history.on_exec(2, 100);
  history.on_exec(3, 500);
  history.on_exit(1, 150);
  history.on_exit(2, 300);
  history.forget(200, 50);
  EXPECT_EQ(history.image(1), nullptr) << "exited before 200";
  EXPECT_NE(history.image(2), nullptr) << "exited after";
  history.forget(0, 400);
  EXPECT_EQ(history.image(2), nullptr) << "exec'd before 400";
  EXPECT_NE(history.image(3), nullptr);
}

TEST(MappingHistory, HoldsAtMostItsBound) {
  MappingHistory history;
  for (std::uint32_t pid = 1; pid <= MappingHistory::kMaxImages + 10; ++pid) {
    history.on_exec(pid, pid);
  }
  EXPECT_LE(history.size(), MappingHistory::kMaxImages);
  EXPECT_NE(history.image(MappingHistory::kMaxImages + 10), nullptr) << "the newest kept";
  EXPECT_EQ(history.image(1), nullptr) << "the oldest went";
}

TEST(MappingsAfterExit, LaysTheImageOverWhatWasReadOfTheSameImage) {
  ExecImage image;
  image.mappings = {exec_mapping(0x5000, 0x6000, 0x1000, 2, "/usr/bin/readlink"),
                    exec_mapping(0x9000, 0xa000, 0x2000, 3, "/lib/libc.so.6")};
  // Read at exec: the program and its data, before the loader mapped libc.
  Mapping data = exec_mapping(0x4000, 0x5000, 0, 2, "/usr/bin/readlink");
  data.executable = false;
  std::vector<Mapping> known = {data, image.mappings[0]};
  std::vector<Mapping> out;
  ASSERT_TRUE(mappings_after_exit(&image, known, out));
  ASSERT_EQ(out.size(), 3u);
  EXPECT_FALSE(out[0].executable) << "what /proc showed stays";
  EXPECT_EQ(out[2].path, "/lib/libc.so.6");

  ASSERT_TRUE(mappings_after_exit(&image, {}, out)) << "nothing read before: the image";
  EXPECT_EQ(out.size(), 2u);
  EXPECT_FALSE(mappings_after_exit(nullptr, known, out));
}

TEST(MappingsAfterExit, RefusesTheImageOfALaterExec) {
  ExecImage image;  // readlink, exec'd by a shell's child
  image.mappings = {exec_mapping(0x5000, 0x6000, 0x1000, 2, "/usr/bin/readlink")};
  // The child's mappings before its exec: the shell's.
  std::vector<Mapping> shell = {exec_mapping(0x5000, 0x7000, 0x0, 9, "/usr/bin/bash")};
  std::vector<Mapping> out;
  EXPECT_FALSE(mappings_after_exit(&image, shell, out)) << "another file at that address";
  std::vector<Mapping> elsewhere = {exec_mapping(0x20000, 0x21000, 0, 9, "/usr/bin/bash")};
  EXPECT_FALSE(mappings_after_exit(&image, elsewhere, out)) << "nothing in common";
}

}  // namespace
}  // namespace ember

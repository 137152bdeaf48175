#include "file_pages.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "resident_pages.hpp"
#include "scratch_dir.hpp"

namespace ember {
namespace {

using test::resident_kib_of;
using test::ScratchDir;

constexpr std::size_t kFileBytes = 4 << 20;

// Reads one byte of every page of a mapping (volatile: every read happens).
unsigned touch_every_page(const char* bytes, std::size_t size) {
  const volatile char* pages = bytes;
  unsigned sum = 0;
  for (std::size_t at = 0; at < size; at += 4096) sum += static_cast<unsigned char>(pages[at]);
  return sum;
}

TEST(FilePagesRelease, GivesTouchedPagesBackAtMostOnceAnInterval) {
  ScratchDir dir;
  std::string path = dir.file("table");
  std::ofstream(path, std::ios::binary) << std::string(kFileBytes, 'x');
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  void* mapped = mmap(nullptr, kFileBytes, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  ASSERT_NE(mapped, MAP_FAILED);
  const char* bytes = static_cast<const char*>(mapped);

  FilePagesRelease pages(std::chrono::seconds(1));
  const auto start = FilePagesRelease::Clock::now();
  EXPECT_EQ(touch_every_page(bytes, kFileBytes), 'x' * (kFileBytes / 4096));
  EXPECT_GE(resident_kib_of(path), kFileBytes / 1024);
  // Not page-aligned: the pages it starts in are released all the same.
  EXPECT_TRUE(pages.release_if_due(bytes + 100, kFileBytes - 100, start));
  EXPECT_EQ(resident_kib_of(path), 0u);

  touch_every_page(bytes, kFileBytes);
  EXPECT_FALSE(pages.release_if_due(bytes, kFileBytes, start + std::chrono::milliseconds(500)));
  EXPECT_GE(resident_kib_of(path), kFileBytes / 1024) << "released before the interval passed";
  EXPECT_TRUE(pages.release_if_due(bytes, kFileBytes, start + std::chrono::milliseconds(1500)));
  EXPECT_EQ(resident_kib_of(path), 0u);
  // The bytes are the file's again after a release.
  EXPECT_EQ(touch_every_page(bytes, kFileBytes), 'x' * (kFileBytes / 4096));
  munmap(mapped, kFileBytes);
}

// An owner giving back several things on one clock asks due() alone.
TEST(FilePagesRelease, DueOnceAnIntervalFromItsStart) {
  const auto start = FilePagesRelease::Clock::time_point(std::chrono::hours(5));
  FilePagesRelease gate(std::chrono::seconds(1), start);
  EXPECT_FALSE(gate.due(start + std::chrono::milliseconds(999))) << "due before the first interval";
  EXPECT_TRUE(gate.due(start + std::chrono::seconds(1)));
  EXPECT_FALSE(gate.due(start + std::chrono::milliseconds(1999))) << "due twice in an interval";
  EXPECT_TRUE(gate.due(start + std::chrono::seconds(3)));
  FilePagesRelease at_once(std::chrono::seconds(1));
  EXPECT_TRUE(at_once.due(start));
  FilePagesRelease always(std::chrono::seconds(0), start);
  EXPECT_TRUE(always.due(start));
  EXPECT_TRUE(always.due(start));
}

}  // namespace
}  // namespace ember

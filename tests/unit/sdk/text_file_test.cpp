#include "ember/text_file.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "scratch_dir.hpp"

namespace ember {
namespace {

struct TempFile {
  explicit TempFile(const std::string& contents) {
    std::ofstream(path, std::ios::binary) << contents;
  }
  ember::test::ScratchDir dir{"ember-text-file"};
  std::string path = dir.file("text");
};

TEST(TextFile, ChunksEndAtLineEndsAndLoseNothing) {
  // Longer than one read, so lines straddle reads; the last line has no newline.
  std::string contents;
  for (int i = 0; i < 20000; ++i) contents += "line number " + std::to_string(i) + "\n";
  contents += "last";
  TempFile file(contents);

  std::string joined;
  int chunks = 0;
  Status status = read_lines_in_chunks(file.path, [&](std::string_view lines) {
    ++chunks;
    if (joined.size() + lines.size() < contents.size()) {
      EXPECT_EQ(lines.back(), '\n') << "chunk " << chunks << " ends mid-line";
    }
    joined += lines;
  });
  ASSERT_TRUE(status) << status.message();
  EXPECT_GT(chunks, 1);
  EXPECT_EQ(joined, contents);
}

TEST(TextFile, WholeFileAndProcfs) {
  TempFile file("a\nb");
  std::string text;
  ASSERT_TRUE(read_text_file(file.path, text));
  EXPECT_EQ(text, "a\nb");
  ASSERT_TRUE(read_text_file("/proc/self/comm", text));  // size 0 in stat, content anyway
  EXPECT_FALSE(text.empty());
}

TEST(TextFile, MissingFileNamesPathAndReason) {
  std::string text;
  Status status = read_text_file("/proc/999999999/maps", text);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.message(),
            "cannot open /proc/999999999/maps: No such file or directory (has the process "
            "exited?)");
}

}  // namespace
}  // namespace ember

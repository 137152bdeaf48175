#include "collapsed_lines.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "sample_windows.hpp"
#include "window_merger.hpp"

namespace ember::formats {
namespace {

// The sum of the counts the lines of a folded text carry.
std::uint64_t counted(const std::string& text) {
  std::uint64_t total = 0;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    total += std::stoull(line.substr(line.rfind(' ') + 1));
  }
  return total;
}

std::uint64_t shown_samples(const std::vector<Window>& windows) {
  std::uint64_t total = 0;
  for (const Window& w : windows) {
    for (const StackCount& s : w.samples) total += s.stack < w.stacks.size() ? s.count : 0;
  }
  return total;
}

TEST(CollapsedLinesTest, WindowByWindowIsTheTextOfTheirMerge) {
  for (unsigned seed = 1; seed <= 20; ++seed) {
    const std::vector<Window> windows = test::churn_windows(seed, 1 + seed % 7);
    for (bool threads : {false, true}) {
      const CollapsedOptions options{.thread_frames = threads};
      CollapsedLines lines(options);
      for (const Window& w : windows) lines.add(w);
      const std::string text = lines.text();
      ASSERT_EQ(text, collapsed_text(merge_windows(windows), options))
          << "seed " << seed << " threads " << threads;
      EXPECT_EQ(lines.total_samples(), shown_samples(windows));
      EXPECT_EQ(counted(text), shown_samples(windows)) << "seed " << seed;
    }
  }
}

TEST(CollapsedLinesTest, WrittenInPiecesThatMakeTheText) {
  CollapsedLines lines;
  std::uint64_t total = 0;
  for (int n = 0; n < 300; ++n) {  // ~300 distinct long lines: several 64 KiB pieces
    Window w;
    w.frames = {test::frame(std::string(400, 'a' + n % 26) + std::to_string(n))};
    w.stacks = {{0, 0}};
    w.samples = {{0, 1, 1, static_cast<std::uint64_t>(n + 1)}};
    total += n + 1;
    lines.add(w);
  }
  std::vector<std::string> pieces;
  ASSERT_TRUE(lines.write([&](std::string_view piece) {
    pieces.emplace_back(piece);
    return Status::ok();
  }));
  ASSERT_GT(pieces.size(), 2u);
  std::string joined;
  for (const std::string& piece : pieces) {
    EXPECT_EQ(piece.back(), '\n');  // whole lines
    joined += piece;
  }
  EXPECT_EQ(joined, lines.text());
  EXPECT_EQ(counted(joined), total);

  int calls = 0;
  Status failed = lines.write([&](std::string_view) {
    ++calls;
    return Status::error("disk full");
  });
  EXPECT_FALSE(failed);
  EXPECT_EQ(failed.message(), "disk full");
  EXPECT_EQ(calls, 1);  // nothing written after the error
}

TEST(CollapsedLinesTest, AWindowsStacksAreHeldInArraysOfTheirSize) {
  Window w;
  for (int f = 0; f < 5000; ++f) w.frames.push_back(test::frame("f" + std::to_string(f)));
  for (std::uint32_t s = 0; s < 1000; ++s) {
    w.stacks.push_back({5 * s, 5 * s + 1, 5 * s + 2, 5 * s + 3, 5 * s + 4});
    w.samples.push_back({s, 1, 1, 1});
  }
  CollapsedLines lines;
  lines.add(w);
  // 5,000 frame texts and 1,000 stack starts: doubling would have held 8,192 + 1,024.
  EXPECT_EQ(lines.stack_array_bytes(), (5000 + 1000) * sizeof(std::uint32_t));
  EXPECT_EQ(lines.total_samples(), 1000u);
}

}  // namespace
}  // namespace ember::formats

// Retention: by size (oldest windows first, the file shrinks) and by age,
// with the rows only deleted windows used collected.
#include <gtest/gtest.h>

#include "store_reader.hpp"
#include "store_windows.hpp"
#include "store_writer.hpp"
#include "test_files.hpp"

namespace ember::store {
namespace {

using test::kMinute;
constexpr std::int64_t kDay = 24 * 60 * kMinute;
constexpr std::int64_t kNow = 1'795'633'512'000'000'000;

// A window whose frames are its own, so each window adds to the file.
Window unique_window(std::int64_t start, int n) {
  Window w = test::full_window(start);
  for (auto& f : w.frames) f.name += "_window" + std::to_string(n) + "_" + std::string(300, 'x');
  return w;
}

TEST(StoreRetention, AStoreOverItsSizeShrinksToItOldestWindowsFirst) {
  test::ScratchDir dir;
  std::string path = dir.file("ember.db");
  const int kWindows = 60;
  std::int64_t first = kNow - kWindows * kMinute;
  std::int64_t limit = 0;
  {
    std::unique_ptr<StoreWriter> writer;
    ASSERT_TRUE(StoreWriter::open(path, writer).ok());
    for (int i = 0; i < kWindows; ++i) {
      ASSERT_TRUE(writer->write(unique_window(first + i * kMinute, i)).ok());
    }
    // The database's size as SQLite sees it (most of it is still in the WAL).
    auto full = test::query(path, "PRAGMA page_count") * test::query(path, "PRAGMA page_size");
    limit = full / 3;
    RetentionResult result;
    StoreOutcome outcome = writer->enforce_retention({0, limit}, kNow, result);
    ASSERT_TRUE(outcome.ok()) << outcome.message;
    EXPECT_GT(result.windows_deleted, 0u);
    EXPECT_LT(result.windows_deleted, static_cast<std::uint64_t>(kWindows));
    EXPECT_LE(result.bytes_after, limit);
    EXPECT_GT(result.bytes_before, limit);
  }
  // Closed: the WAL is folded in and the file itself is under the limit.
  EXPECT_LE(static_cast<std::int64_t>(std::filesystem::file_size(path)), limit);
  EXPECT_FALSE(std::filesystem::exists(path + "-wal"));

  std::unique_ptr<StoreReader> reader;
  ASSERT_TRUE(StoreReader::open(path, reader));
  StoreSummary summary = reader->summary();
  EXPECT_EQ(summary.last_ns, kNow) << "the newest window must stay";
  std::uint64_t kept = summary.windows;
  EXPECT_EQ(summary.first_ns, kNow - static_cast<std::int64_t>(kept) * kMinute)
      << "the oldest windows go first";
  // Frames of deleted windows are gone; every remaining window reads whole.
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM frames"),
            static_cast<long long>(kept * test::full_window(0).frames.size()));
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM frames WHERE name LIKE 'main_window0_%'"), 0);
  Window merged;
  ASSERT_TRUE(reader->read(0, INT64_MAX, merged));
  EXPECT_EQ(merged.total_samples(), kept * test::full_window(0).total_samples());
}

TEST(StoreRetention, WindowsOlderThanMaxAgeAreDeletedWithTheirRows) {
  test::ScratchDir dir;
  std::string path = dir.file("ember.db");
  std::unique_ptr<StoreWriter> writer;
  ASSERT_TRUE(StoreWriter::open(path, writer).ok());
  ASSERT_TRUE(writer->write(unique_window(kNow - 3 * kDay, 0)).ok());
  ASSERT_TRUE(writer->write(unique_window(kNow - 2 * kDay, 1)).ok());
  ASSERT_TRUE(writer->write(unique_window(kNow - kDay - kMinute * 60, 2)).ok());  // 1 h overdue
  ASSERT_TRUE(writer->write(unique_window(kNow - 2 * kMinute, 3)).ok());
  RetentionResult result;
  ASSERT_TRUE(writer->enforce_retention({kDay, 0}, kNow, result).ok());
  EXPECT_EQ(result.windows_deleted, 3u);
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM windows"), 1);
  EXPECT_EQ(test::query(path,
                        "SELECT count(*) FROM frames WHERE name LIKE '%window0_%' OR "
                        "name LIKE '%window1_%' OR name LIKE '%window2_%'"),
            0);
  // Shared rows that the remaining window uses stay.
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM processes"), 2);
  // The writer keeps deduplicating against what is left.
  ASSERT_TRUE(writer->write(unique_window(kNow - kMinute, 3)).ok());
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM stacks"), 5);
}

TEST(StoreRetention, WindowsJustPastMaxAgeWaitForTheNextCleanup) {
  test::ScratchDir dir;
  std::string path = dir.file("ember.db");
  std::unique_ptr<StoreWriter> writer;
  ASSERT_TRUE(StoreWriter::open(path, writer).ok());
  ASSERT_TRUE(writer->write(unique_window(kNow - kDay - 2 * kMinute, 0)).ok());  // 1 min past
  ASSERT_TRUE(writer->write(unique_window(kNow - 2 * kMinute, 1)).ok());
  RetentionResult result;
  ASSERT_TRUE(writer->enforce_retention({kDay, 0}, kNow, result).ok());
  EXPECT_EQ(result.windows_deleted, 0u);
  ASSERT_TRUE(writer->enforce_retention({kDay, 0}, kNow + kDay / 10, result).ok());
  EXPECT_EQ(result.windows_deleted, 1u);
}

}  // namespace
}  // namespace ember::store

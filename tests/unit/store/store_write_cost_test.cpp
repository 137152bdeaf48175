// What a window's write costs the store: its rows, not the store's. A busy
// host's window (999 Hz, tens of thousands of stacks) into a store of many
// more must read about one stored row per row it looks up, and a store from
// before the 31-bit hashes (schema 8) finds its rows again once migrated.
#include <gtest/gtest.h>

#include "schema.hpp"
#include "store_reads.hpp"
#include "store_windows.hpp"
#include "store_writer.hpp"
#include "test_files.hpp"

namespace ember::store {
namespace {

using test::kMinute;
using test::kStart;

constexpr std::uint32_t kFrames = 400;

// `stacks` distinct three-frame stacks, the first at `first` (stack n is
// frames n % 400, n / 400 % 400 and a third that tells them apart), one
// sample each in one thread.
Window window_of_stacks(std::int64_t start_ns, std::uint32_t first, std::uint32_t stacks) {
  Window w;
  w.start_ns = start_ns;
  w.end_ns = start_ns + kMinute;
  w.frequency_hz = 999;
  w.host = "busy-host";
  for (std::uint32_t f = 0; f < kFrames; ++f) {
    w.frames.push_back(test::frame("function_" + std::to_string(f), frame_kind::native,
                                   "libbusy.so", "busy.cc", f));
  }
  for (std::uint32_t n = first; n < first + stacks; ++n) {
    w.stacks.push_back({n % kFrames, n / kFrames % kFrames, (n / (kFrames * kFrames)) % kFrames});
    w.samples.push_back(StackCount{static_cast<std::uint32_t>(w.stacks.size() - 1), 7, 7, 1});
  }
  w.processes.push_back(test::process(7, "busy"));
  w.threads.push_back(ThreadInfo{7, 7, "busy"});
  return w;
}

WriteStats write_one(const std::string& path, const Window& window) {
  std::unique_ptr<StoreWriter> writer;  // a new writer: it remembers no row
  StoreOutcome opened = StoreWriter::open(path, writer);
  EXPECT_TRUE(opened.ok()) << opened.message;
  if (!writer) return {};
  StoreOutcome written = writer->write(window);
  EXPECT_TRUE(written.ok()) << written.message;
  return writer->last_write();
}

TEST(StoreWriteCost, ABigWindowReadsAboutOneStoredRowPerRowItLooksUp) {
  test::ScratchDir dir;
  std::string path = dir.file("ember.db");
  // 80,000 stacks stored: ~2.4 for each of 32,768 15-bit hashes.
  write_one(path, window_of_stacks(kStart, 0, 80'000));

  // 5,000 of them again and 5,000 new ones, by a writer that remembers none.
  WriteStats stats = write_one(path, window_of_stacks(kStart + kMinute, 75'000, 10'000));
  EXPECT_EQ(stats.added, 5'000u);
  EXPECT_EQ(stats.looked_up, stats.rows);
  const std::uint64_t found = stats.looked_up - stats.added;
  // Each row found is read once; a row looked up and not there reads none,
  // but for the odd shared hash.
  EXPECT_GE(stats.compared, found);
  EXPECT_LE(stats.compared, found + stats.looked_up / 100)
      << stats.looked_up << " rows looked up, " << found << " found";
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM stacks"), 85'000);
}

// The agent's writer gives SQLite's page cache back between windows; the
// next window reads its pages from the file again and finds its rows. Filled
// at every window's write, the cache is a peak in the agent's RSS each time:
// the writer's holds 512 KiB, not SQLite's 2 MB.
TEST(StoreWriteCost, TheWriterGivesItsPageCacheBackAndWritesOnAfterward) {
  test::ScratchDir dir;
  std::string path = dir.file("ember.db");
  std::unique_ptr<StoreWriter> writer;
  ASSERT_TRUE(StoreWriter::open(path, writer).ok());
  ASSERT_TRUE(writer->write(window_of_stacks(kStart, 0, 80'000)).ok());
  const std::size_t held = writer->cache_bytes();
  EXPECT_GT(held, 256u << 10) << "an 80,000-stack window should leave pages cached";
  // Pages and SQLite's few hundred bytes of bookkeeping for each.
  EXPECT_LE(held, 600u << 10);

  writer->release_cache();
  EXPECT_LT(writer->cache_bytes(), held / 10);

  ASSERT_TRUE(writer->write(window_of_stacks(kStart + kMinute, 75'000, 10'000)).ok());
  EXPECT_EQ(writer->last_write().added, 5'000u);
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM stacks"), 85'000);
}

TEST(StoreWriteCost, AStoreWithFifteenBitHashesFindsItsRowsAgainOnceMigrated) {
  test::ScratchDir dir;
  std::string path = dir.file("ember.db");
  Window first = test::full_window(kStart);
  write_one(path, first);
  const long long frames = test::query(path, "SELECT count(*) FROM frames");
  const long long stacks = test::query(path, "SELECT count(*) FROM stacks");
  const long long processes = test::query(path, "SELECT count(*) FROM processes");
  const long long threads = test::query(path, "SELECT count(*) FROM threads");
  // What schema 8 wrote: the low 15 bits of each row's hash.
  test::execute(path,
                "UPDATE frames SET hash = hash & 32767; UPDATE stacks SET hash = hash & 32767; "
                "UPDATE label_sets SET hash = hash & 32767; "
                "UPDATE processes SET hash = hash & 32767; "
                "UPDATE threads SET hash = hash & 32767; PRAGMA user_version = 8;");
  ASSERT_LE(test::query(path, "SELECT max(hash) FROM stacks"), 32767);

  WriteStats stats = write_one(path, test::full_window(kStart + kMinute));
  EXPECT_EQ(test::query(path, "PRAGMA user_version"), kSchemaVersion);
  EXPECT_EQ(stats.added, 0u);  // every row of the same window found again
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM frames"), frames);
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM stacks"), stacks);
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM processes"), processes);
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM threads"), threads);
  EXPECT_GT(test::query(path, "SELECT max(hash) FROM frames"), 32767);
  EXPECT_EQ(test::profile_of(test::read_range(path, kStart + kMinute, kStart + 2 * kMinute)),
            test::profile_of(first));
}

}  // namespace
}  // namespace ember::store

// The store sink: options, and a window never lost to a damaged, foreign or
// unwritable store.
#include "store_sink.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <regex>

#include "ember/testing/fake_host.hpp"
#include "option_units.hpp"
#include "schema.hpp"
#include "store_reader.hpp"
#include "store_windows.hpp"
#include "test_files.hpp"

namespace ember::store_sink {
namespace {

namespace fs = std::filesystem;
using formats::parse_age;
using formats::parse_size;
constexpr std::int64_t kMinute = 60'000'000'000;

Options options(const std::string& path, std::map<std::string, OptionValue> more = {}) {
  Options out;
  out["path"] = Option{path, "test.toml:2:1"};
  for (auto& [key, value] : more) out[key] = Option{value, "test.toml:3:1"};
  return out;
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Windows stamped now, so the default max_age keeps them.
Window recent_window(int n) { return store::test::full_window(now_ns() - (10 - n) * kMinute); }

// A file where the store's directory should be: no one, root included, can
// create the store below it until the file is gone. Returns the file.
std::string blocking_file(const store::test::ScratchDir& dir) {
  std::string blocker = dir.file("state");
  std::ofstream(blocker) << "x";
  return blocker;
}

std::uint64_t windows_in(const std::string& path) {
  std::unique_ptr<store::StoreReader> reader;
  Status opened = store::StoreReader::open(path, reader);
  EXPECT_TRUE(opened) << opened.message();
  return opened ? reader->summary().windows : 0;
}

// One window (the index-th) through a sink of its own into the store at
// `path`: configured, written, closed; what it logged in `host`.
void write_one_window(const std::string& path, int index, testkit::FakeHost& host) {
  StoreSink sink;
  ASSERT_TRUE(sink.configure(options(path), host));
  ASSERT_TRUE(sink.on_window(recent_window(index)));
  ASSERT_TRUE(sink.close());
}

TEST(RetentionOptions, AgesAndSizesWithUnits) {
  EXPECT_EQ(parse_age("7d"), 7LL * 86400 * 1'000'000'000);
  EXPECT_EQ(parse_age("90s"), 90LL * 1'000'000'000);
  EXPECT_EQ(parse_age("12h"), 12LL * 3600 * 1'000'000'000);
  EXPECT_EQ(parse_age("0"), 0);
  EXPECT_FALSE(parse_age("7"));
  EXPECT_FALSE(parse_age("d"));
  EXPECT_FALSE(parse_age("7 weeks"));
  EXPECT_FALSE(parse_age("99999999999999999999d"));
  EXPECT_EQ(parse_size("1GiB"), 1LL << 30);
  EXPECT_EQ(parse_size("500MB"), 500'000'000);
  EXPECT_EQ(parse_size("64 KiB"), 65536);
  EXPECT_EQ(parse_size("4096"), 4096);
  EXPECT_FALSE(parse_size("1 gigabyte"));
  EXPECT_FALSE(parse_size("-5MB"));
}

TEST(StoreSink, BadOptionsNameTheKeyAndWhere) {
  store::test::ScratchDir dir;
  testkit::FakeHost host;
  StoreSink sink;
  Status status = sink.configure(options(dir.file("ember.db"), {{"max_size", std::string("lots")}}), host);
  ASSERT_FALSE(status);
  EXPECT_NE(status.message().find("test.toml:3:1: sink.store.max_size"), std::string::npos)
      << status.message();
  StoreSink other;
  Status unknown = other.configure(options(dir.file("ember.db"), {{"retention", std::string("7d")}}), host);
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.message().find("sink.store.retention: unknown key"), std::string::npos)
      << unknown.message();
}

TEST(StoreSink, WindowsAreReadableWhileTheAgentRunsAndAfterClose) {
  store::test::ScratchDir dir;
  std::string path = dir.file("sub/dir/ember.db");  // created
  testkit::FakeHost host;
  StoreSink sink;
  ASSERT_TRUE(sink.configure(options(path), host));
  // configure judges the table only (--check-config calls it): no file yet.
  EXPECT_FALSE(fs::exists(dir.file("sub"))) << "configure created the store";
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(sink.on_window(recent_window(i)));
  EXPECT_EQ(windows_in(path), 3u) << "committed windows are visible before close";
  ASSERT_TRUE(sink.close());
  EXPECT_FALSE(fs::exists(path + "-wal")) << "closing folds the WAL into the file";
  EXPECT_EQ(windows_in(path), 3u);
}

TEST(StoreSink, ADamagedStoreIsMovedAsideAndANewOneStarted) {
  store::test::ScratchDir dir;
  std::string path = dir.file("ember.db");
  // An SQLite header, then garbage: a store whose pages went bad.
  std::ofstream(path) << std::string("SQLite format 3\0", 16) << std::string(4080, 'x');
  std::string damaged = store::test::read_bytes(path);
  testkit::FakeHost host;
  ASSERT_NO_FATAL_FAILURE(write_one_window(path, 0, host));
  EXPECT_EQ(windows_in(path), 1u);
  std::string line = host.find(LogLevel::error, "moved it to");
  ASSERT_FALSE(line.empty());
  std::string moved;
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    if (entry.path().filename().string().starts_with("ember.db.damaged-")) moved = entry.path();
  }
  ASSERT_FALSE(moved.empty());
  EXPECT_NE(line.find(moved), std::string::npos) << line;
  EXPECT_TRUE(store::test::read_bytes(moved) == damaged)
      << "the damaged file must be kept as it was";
}

// A path typo must not move an admin's files: a directory or another
// program's file at the store's path stays as it is; windows go beside it.
TEST(StoreSink, ADirectoryOrAForeignFileIsNeverMoved) {
  for (bool directory : {true, false}) {
    SCOPED_TRACE(directory ? "a directory" : "a text file");
    store::test::ScratchDir dir;
    std::string path = dir.file("ember.db");
    if (directory) {
      fs::create_directory(path);
      std::ofstream(path + "/notes.txt") << "mine";
    } else {
      std::ofstream(path) << "an admin's notes, not a store";
    }
    testkit::FakeHost host;
    ASSERT_NO_FATAL_FAILURE(write_one_window(path, 0, host));
    std::string sibling = dir.file("ember-schema" + std::to_string(store::kSchemaVersion) + ".db");
    EXPECT_EQ(windows_in(sibling), 1u);
    EXPECT_EQ(fs::is_directory(path), directory);
    if (directory) {
      EXPECT_TRUE(fs::exists(path + "/notes.txt"));
    } else {
      EXPECT_EQ(store::test::read_bytes(path), "an admin's notes, not a store");
    }
    for (const auto& entry : fs::directory_iterator(dir.path())) {
      EXPECT_EQ(entry.path().filename().string().find(".damaged-"), std::string::npos)
          << entry.path();
    }
    EXPECT_NE(host.find(LogLevel::error, "left untouched").find(sibling), std::string::npos);
  }
}

TEST(StoreSink, ANewerStoreIsLeftAloneAndWindowsGoBesideIt) {
  store::test::ScratchDir dir;
  std::string path = dir.file("ember.db");
  {
    testkit::FakeHost host;
    ASSERT_NO_FATAL_FAILURE(write_one_window(path, 0, host));
  }
  store::test::execute(path, "PRAGMA user_version = 99");
  std::string before = store::test::read_bytes(path);
  testkit::FakeHost host;
  ASSERT_NO_FATAL_FAILURE(write_one_window(path, 1, host));
  std::string sibling = dir.file("ember-schema" + std::to_string(store::kSchemaVersion) + ".db");
  EXPECT_EQ(windows_in(sibling), 1u);
  EXPECT_TRUE(store::test::read_bytes(path) == before) << "the newer store was modified";
  std::string line = host.find(LogLevel::error, "newer");
  EXPECT_NE(line.find(sibling), std::string::npos) << line;
}

// Migrating an older store rewrites its rows (schema 9 rehashes every one):
// the log says which file, from and to which version, and how long it took.
TEST(StoreSink, MigratingAnOlderStoreIsLoggedOnce) {
  store::test::ScratchDir dir;
  std::string path = dir.file("ember.db");
  {
    testkit::FakeHost host;
    ASSERT_NO_FATAL_FAILURE(write_one_window(path, 0, host));
    EXPECT_EQ(host.count(LogLevel::info, "migrated"), 0u) << "a new store was not migrated";
  }
  // What schema 8 wrote: 15-bit hashes.
  store::test::execute(path,
                       "UPDATE frames SET hash = hash & 32767; UPDATE stacks SET hash = hash & "
                       "32767; UPDATE processes SET hash = hash & 32767; UPDATE threads SET hash "
                       "= hash & 32767; PRAGMA user_version = 8;");
  for (int run = 0; run < 2; ++run) {
    SCOPED_TRACE(run == 0 ? "schema 8" : "migrated already");
    testkit::FakeHost host;
    ASSERT_NO_FATAL_FAILURE(write_one_window(path, 1 + run, host));
    EXPECT_EQ(store::test::query(path, "PRAGMA user_version"), store::kSchemaVersion);
    EXPECT_EQ(host.count(LogLevel::info, "migrated"), run == 0 ? 1u : 0u);
    if (run > 0) continue;
    std::string line = host.find(LogLevel::info, "migrated");
    EXPECT_NE(line.find(path), std::string::npos) << line;
    EXPECT_NE(line.find("from schema version 8 to " + std::to_string(store::kSchemaVersion)),
              std::string::npos)
        << line;
    EXPECT_TRUE(std::regex_search(line, std::regex(R"( in \d+\.\d\d s$)"))) << line;
  }
  EXPECT_EQ(windows_in(path), 3u);
}

TEST(StoreSink, AnUnwritableStoreHoldsWindowsInMemoryUntilItCanBeWritten) {
  store::test::ScratchDir dir;
  std::string blocker = blocking_file(dir);
  std::string path = blocker + "/ember.db";
  testkit::FakeHost host;
  StoreSink sink;
  ASSERT_TRUE(sink.configure(options(path), host)) << "a store problem is not a config error";
  Status first = sink.on_window(recent_window(0));
  EXPECT_NE(host.find(LogLevel::error, "holding windows in memory"), "");
  EXPECT_FALSE(first);
  EXPECT_NE(first.message().find("1 held in memory"), std::string::npos) << first.message();
  EXPECT_FALSE(sink.on_window(recent_window(1)));

  fs::remove(blocker);  // the disk is back
  ASSERT_TRUE(sink.on_window(recent_window(2)));
  EXPECT_NE(host.find(LogLevel::warn, "wrote 2 windows held in memory"), "");
  ASSERT_TRUE(sink.close());
  EXPECT_EQ(windows_in(path), 3u);
}

TEST(StoreSink, HeldWindowsAreBoundedAndCloseSaysWhatIsLost) {
  store::test::ScratchDir dir;
  std::string blocker = blocking_file(dir);
  testkit::FakeHost host;
  StoreSink sink;
  ASSERT_TRUE(sink.configure(
      options(blocker + "/ember.db", {{"max_held_windows", std::int64_t{2}}}), host));
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(sink.on_window(recent_window(i)));
  EXPECT_NE(host.find(LogLevel::error, "dropped the oldest window"), "");
  Status closed = sink.close();
  ASSERT_FALSE(closed);
  EXPECT_NE(closed.message().find("2 windows held in memory"), std::string::npos)
      << closed.message();
}

// The store comes back with max_held_windows held: the window that arrives
// then is written with them, none dropped.
TEST(StoreSink, AStoreThatComesBackTakesEveryHeldWindow) {
  store::test::ScratchDir dir;
  std::string blocker = blocking_file(dir);
  std::string path = blocker + "/ember.db";
  testkit::FakeHost host;
  StoreSink sink;
  ASSERT_TRUE(sink.configure(options(path, {{"max_held_windows", std::int64_t{2}}}), host));
  for (int i = 0; i < 2; ++i) EXPECT_FALSE(sink.on_window(recent_window(i)));
  fs::remove(blocker);
  ASSERT_TRUE(sink.on_window(recent_window(2)));
  ASSERT_TRUE(sink.close());
  EXPECT_EQ(windows_in(path), 3u);
  EXPECT_EQ(host.find(LogLevel::error, "dropped the oldest window"), "");
}

TEST(StoreSink, MaxSizeIsEnforcedAfterEachWindow) {
  store::test::ScratchDir dir;
  std::string path = dir.file("ember.db");
  testkit::FakeHost host;
  StoreSink sink;
  ASSERT_TRUE(sink.configure(options(path, {{"max_size", std::string("96KiB")}}), host));
  for (int i = 0; i < 60; ++i) {
    Window w = recent_window(0);
    w.start_ns += i;  // distinct, in order
    for (auto& f : w.frames) f.name += "_" + std::to_string(i) + std::string(300, 'y');
    ASSERT_TRUE(sink.on_window(w));
  }
  ASSERT_TRUE(sink.close());
  EXPECT_LE(fs::file_size(path), 96u * 1024);
  EXPECT_NE(host.find(LogLevel::info, "retention: deleted"), "");
  std::uint64_t kept = windows_in(path);
  EXPECT_GT(kept, 0u);
  EXPECT_LT(kept, 60u);
}

TEST(StoreSink, AnHourIsRolledUpOnceTheNextOneHasAWindow) {
  store::test::ScratchDir dir;
  std::string path = dir.file("ember.db");
  testkit::FakeHost host;
  StoreSink sink;
  ASSERT_TRUE(sink.configure(options(path), host));
  // Windows 30 minutes apart from an hour ago: the last two hours get windows.
  constexpr std::int64_t kHour = 60 * kMinute;
  std::int64_t hour = now_ns() / kHour * kHour - kHour;
  for (std::int64_t start : {hour + 5 * kMinute, hour + 35 * kMinute}) {
    ASSERT_TRUE(sink.on_window(store::test::full_window(start)));
  }
  EXPECT_EQ(store::test::query(path, "SELECT count(*) FROM rollups"), 0) << "the hour is open";
  ASSERT_TRUE(sink.on_window(store::test::full_window(hour + kHour + kMinute)));
  EXPECT_EQ(store::test::query(
                path, "SELECT windows FROM rollups WHERE hour_ns = " + std::to_string(hour)),
            2);
  ASSERT_TRUE(sink.close());
}

}  // namespace
}  // namespace ember::store_sink

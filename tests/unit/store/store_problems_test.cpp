// Stores the writer must refuse or repair: older and newer schemas, files
// that are not stores, damaged and truncated files, unwritable directories.
#include <fcntl.h>
#include <cstdio>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rows.hpp"
#include "schema.hpp"
#include "store_reader.hpp"
#include "store_windows.hpp"
#include "store_writer.hpp"
#include "test_files.hpp"
#include "version2_store.hpp"

namespace ember::store {
namespace {

using test::kMinute;
using test::kStart;

StoreOutcome open_and_write(const std::string& path, const std::vector<Window>& windows) {
  std::unique_ptr<StoreWriter> writer;
  StoreOutcome outcome = StoreWriter::open(path, writer);
  for (const Window& w : windows) {
    if (!outcome.ok()) break;
    outcome = writer->write(w);
  }
  return outcome;
}

Status open_reader(const std::string& path) {
  std::unique_ptr<StoreReader> reader;
  Status opened = StoreReader::open(path, reader);
  if (!opened) return opened;
  Window merged;
  return reader->read(0, INT64_MAX, merged);
}

TEST(StoreSchema, AVersionOneStoreIsMigratedAndKeepsItsWindows) {
  test::ScratchDir dir;
  std::string path = dir.file("ember.db");
  ASSERT_TRUE(open_and_write(path, {test::full_window(kStart)}).ok());
  // Back to what version 1 wrote: no meta table.
  test::downgrade_to_version_2(path);
  test::execute(path, "DROP TABLE meta; PRAGMA user_version = 1;");
  ASSERT_EQ(test::query(path, "PRAGMA user_version"), 1);
  EXPECT_TRUE(open_reader(path)) << "a reader reads version 1 stores as they are";

  StoreOutcome reopened = open_and_write(path, {test::full_window(kStart + kMinute)});
  ASSERT_TRUE(reopened.ok()) << reopened.message;
  EXPECT_EQ(test::query(path, "PRAGMA user_version"), kSchemaVersion);
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM meta WHERE key = 'created_by'"), 1);
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM windows"), 2);
  EXPECT_TRUE(open_reader(path));
}

TEST(StoreSchema, AnEmptyFileBecomesAStoreOfTheCurrentVersion) {
  test::ScratchDir dir;
  std::string path = dir.file("ember.db");
  ::close(::open(path.c_str(), O_WRONLY | O_CREAT, 0644));
  ASSERT_TRUE(open_and_write(path, {test::full_window(kStart)}).ok());
  EXPECT_EQ(test::query(path, "PRAGMA user_version"), kSchemaVersion);
  EXPECT_EQ(test::query(path, "PRAGMA application_id"), kApplicationId);
}

TEST(StoreSchema, ANewerSchemaIsRefusedAndLeftUntouched) {
  test::ScratchDir dir;
  std::string path = dir.file("ember.db");
  ASSERT_TRUE(open_and_write(path, {test::full_window(kStart)}).ok());
  test::execute(path, "PRAGMA user_version = " + std::to_string(kSchemaVersion + 1));
  std::string before = test::read_bytes(path);

  StoreOutcome outcome = open_and_write(path, {test::full_window(kStart + kMinute)});
  EXPECT_EQ(outcome.problem, StoreProblem::newer_schema);
  EXPECT_NE(outcome.message.find("newer"), std::string::npos) << outcome.message;
  EXPECT_NE(outcome.message.find(std::to_string(kSchemaVersion + 1)), std::string::npos)
      << outcome.message;
  EXPECT_TRUE(test::read_bytes(path) == before) << "the newer store was modified";

  Status read = open_reader(path);
  EXPECT_FALSE(read);
  EXPECT_NE(read.message().find("newer"), std::string::npos) << read.message();
}

TEST(StoreSchema, AnotherProgramsDatabaseIsNotAStore) {
  test::ScratchDir dir;
  std::string path = dir.file("other.db");
  test::execute(path, "CREATE TABLE notes (text TEXT)");  // creates the file
  StoreOutcome outcome = open_and_write(path, {});
  EXPECT_EQ(outcome.problem, StoreProblem::not_a_store) << outcome.message;
  EXPECT_EQ(test::query(path, "SELECT count(*) FROM sqlite_schema"), 1);
  EXPECT_FALSE(open_reader(path));
}

TEST(StoreDamage, AGarbageHeaderIsCorrupt) {
  test::ScratchDir dir;
  std::string path = dir.file("ember.db");
  ASSERT_TRUE(open_and_write(path, {test::full_window(kStart)}).ok());
  {
    int fd = ::open(path.c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::pwrite(fd, "not sqlite at all", 17, 0), 17);
    ::close(fd);
  }
  StoreOutcome outcome = open_and_write(path, {});
  EXPECT_EQ(outcome.problem, StoreProblem::corrupt) << outcome.message;
  Status read = open_reader(path);
  EXPECT_FALSE(read);
  EXPECT_NE(read.message().find(path), std::string::npos) << read.message();
}

TEST(StoreDamage, ATruncatedStoreIsCorruptForWriterAndReader) {
  test::ScratchDir dir;
  std::string path = dir.file("ember.db");
  std::vector<Window> windows;
  for (int i = 0; i < 40; ++i) {
    Window w = test::full_window(kStart + i * kMinute);
    // Distinct frames per window, so the file spans many pages.
    for (auto& f : w.frames) f.name += "_" + std::to_string(i) + std::string(200, 'x');
    windows.push_back(w);
  }
  ASSERT_TRUE(open_and_write(path, windows).ok());
  auto size = std::filesystem::file_size(path);
  ASSERT_GT(size, 16u * 4096u);
  std::filesystem::resize_file(path, size / 2);

  StoreOutcome outcome = open_and_write(path, {});
  EXPECT_EQ(outcome.problem, StoreProblem::corrupt) << outcome.message;
  Status read = open_reader(path);
  EXPECT_FALSE(read);
  EXPECT_NE(read.message().find("damaged"), std::string::npos) << read.message();
}

TEST(StoreDamage, AStackRowWithAFrameIdBeyond32BitsIsDamagedAndNamesIt) {
  test::ScratchDir dir;
  std::string path = dir.file("ember.db");
  ASSERT_TRUE(open_and_write(path, {test::full_window(kStart)}).ok());
  std::string blob = encode_stack({1, std::int64_t{1} << 33});
  std::string hex;
  for (unsigned char c : blob) {
    char byte[3];
    std::snprintf(byte, sizeof byte, "%02x", c);
    hex += byte;
  }
  test::execute(path, "UPDATE stacks SET frames = X'" + hex + "' WHERE id = (SELECT min(id) FROM stacks)");
  Status read = open_reader(path);
  EXPECT_FALSE(read);
  EXPECT_NE(read.message().find("damaged"), std::string::npos) << read.message();
  EXPECT_NE(read.message().find(std::to_string(std::int64_t{1} << 33)), std::string::npos)
      << read.message();
}

TEST(StoreDamage, AMissingStoreIsAClearReaderError) {
  Status read = open_reader("/nonexistent/ember.db");
  EXPECT_FALSE(read);
  EXPECT_NE(read.message().find("no store at /nonexistent/ember.db"), std::string::npos)
      << read.message();
}

// Root writes anywhere: the check runs as nobody in a child process then.
StoreProblem open_as_unprivileged(const std::string& path) {
  if (::geteuid() != 0) return open_and_write(path, {}).problem;
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) return StoreProblem::none;
  pid_t child = ::fork();
  if (child == 0) {
    ::close(pipe_fds[0]);
    int problem = -1;
    if (::setgid(65534) == 0 && ::setuid(65534) == 0) {
      problem = static_cast<int>(open_and_write(path, {}).problem);
    }
    (void)!::write(pipe_fds[1], &problem, sizeof problem);
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  int problem = -1;
  (void)!::read(pipe_fds[0], &problem, sizeof problem);
  ::close(pipe_fds[0]);
  ::waitpid(child, nullptr, 0);
  EXPECT_GE(problem, 0) << "could not become nobody";
  return static_cast<StoreProblem>(problem);
}

TEST(StoreDamage, AReadOnlyDirectoryIsUnwritable) {
  test::ScratchDir dir;
  std::string existing = dir.file("ember.db");
  ASSERT_TRUE(open_and_write(existing, {test::full_window(kStart)}).ok());
  // Readable by all, writable by nobody but root (who is tested as nobody).
  ::chmod(dir.path().c_str(), ::geteuid() == 0 ? 0755 : 0555);
  ::chmod(existing.c_str(), ::geteuid() == 0 ? 0644 : 0444);
  // A new store, and an existing one whose WAL cannot be created beside it.
  EXPECT_EQ(open_as_unprivileged(dir.file("new.db")), StoreProblem::unwritable);
  EXPECT_EQ(open_as_unprivileged(existing), StoreProblem::unwritable);
}

// Two agents on one store: the second writer is refused while the first
// lives (an I/O problem: its sink holds windows and retries), and gets the
// store once the first is gone.
TEST(StoreDamage, ASecondWriterWaitsForTheFirst) {
  test::ScratchDir dir;
  std::string path = dir.file("ember.db");
  std::unique_ptr<StoreWriter> first;
  ASSERT_TRUE(StoreWriter::open(path, first).ok());
  std::unique_ptr<StoreWriter> second;
  StoreOutcome refused = StoreWriter::open(path, second);
  EXPECT_EQ(refused.problem, StoreProblem::io);
  EXPECT_NE(refused.message.find("another process writes this store"), std::string::npos)
      << refused.message;
  EXPECT_FALSE(second);
  ASSERT_TRUE(first->write(test::full_window(kStart)).ok());
  first.reset();
  ASSERT_TRUE(StoreWriter::open(path, second).ok());
  EXPECT_TRUE(second->write(test::full_window(kStart + kMinute)).ok());
}

}  // namespace
}  // namespace ember::store

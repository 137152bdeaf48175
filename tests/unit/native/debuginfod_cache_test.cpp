// The debuginfod cache's size cap: over it, the least recently used fetched
// files go until the rest fit; libdebuginfod's control files, and files used
// since the trim's cut-off, stay.
#include "debuginfod_cache.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "scratch_dir.hpp"

namespace ember::native {
namespace {

using ember::test::ScratchDir;
namespace fs = std::filesystem;

constexpr std::int64_t kBase = 1'700'000'000;  // seconds: the files' times, long ago

// A file of `bytes` at `path`, last accessed and written `accessed`/`written`
// seconds after kBase.
void cached_file(const fs::path& path, std::size_t bytes, int written, int accessed) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << std::string(bytes, 'x');
  const timespec times[2] = {{kBase + accessed, 0}, {kBase + written, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << path;
}

TEST(DebuginfodCache, OverTheCapTheLeastRecentlyUsedGoUntilTheRestFit) {
  ScratchDir scratch;
  fs::path cache = scratch.path() / "debuginfod";
  // libdebuginfod's control files, older than everything.
  cached_file(cache / "cache_clean_interval_s", 6, 0, 0);
  cached_file(cache / "max_unused_age_s", 7, 0, 0);
  cached_file(cache / "aa01" / "debuginfo", 1000, 10, 10);
  cached_file(cache / "aa02" / "debuginfo", 1000, 20, 20);
  cached_file(cache / "aa02" / "executable", 500, 25, 25);
  cached_file(cache / "aa03" / "debuginfo", 1000, 30, 30);
  cached_file(cache / "aa04" / "debuginfo", 1000, 5, 50);  // written first, read last
  cached_file(cache / "aa05" / "debuginfo", 1000, 40, 40);

  CacheTrim trim = trim_debuginfod_cache(cache.string(), 2600, INT64_MAX);
  EXPECT_EQ(trim.removed_files, 4u);
  EXPECT_EQ(trim.removed_bytes, 3500u);
  EXPECT_EQ(trim.kept_bytes, 2000u);
  EXPECT_FALSE(fs::exists(cache / "aa01")) << "emptied directories go too";
  EXPECT_FALSE(fs::exists(cache / "aa02"));
  EXPECT_FALSE(fs::exists(cache / "aa03"));
  EXPECT_TRUE(fs::exists(cache / "aa04" / "debuginfo")) << "read recently: kept";
  EXPECT_TRUE(fs::exists(cache / "aa05" / "debuginfo"));
  EXPECT_TRUE(fs::exists(cache / "cache_clean_interval_s"));
  EXPECT_TRUE(fs::exists(cache / "max_unused_age_s"));

  // Under the cap: nothing more goes.
  trim = trim_debuginfod_cache(cache.string(), 2000, INT64_MAX);
  EXPECT_EQ(trim.removed_files, 0u);
  EXPECT_EQ(trim.kept_bytes, 2000u);
}

TEST(DebuginfodCache, FilesUsedSinceTheCutOffStayOverTheCap) {
  ScratchDir scratch;
  fs::path cache = scratch.path() / "debuginfod";
  cached_file(cache / "bb01" / "debuginfo", 1000, 10, 10);
  cached_file(cache / "bb02" / "debuginfo", 1000, 20, 20);
  cached_file(cache / "bb03" / "debuginfo", 1000, 30, 30);
  CacheTrim trim = trim_debuginfod_cache(cache.string(), 0, (kBase + 20) * 1'000'000'000);
  EXPECT_EQ(trim.removed_files, 1u);
  EXPECT_EQ(trim.kept_bytes, 2000u);
  EXPECT_FALSE(fs::exists(cache / "bb01"));
  EXPECT_TRUE(fs::exists(cache / "bb02" / "debuginfo"));
  EXPECT_TRUE(fs::exists(cache / "bb03" / "debuginfo"));
}

TEST(DebuginfodCache, MarkUsedMakesAFileTheNewest) {
  ScratchDir scratch;
  fs::path cache = scratch.path() / "debuginfod";
  cached_file(cache / "cc01" / "debuginfo", 1000, 10, 10);
  cached_file(cache / "cc02" / "debuginfo", 1000, 20, 20);
  mark_used((cache / "cc01" / "debuginfo").string());
  trim_debuginfod_cache(cache.string(), 1000, INT64_MAX);
  EXPECT_TRUE(fs::exists(cache / "cc01" / "debuginfo"));
  EXPECT_FALSE(fs::exists(cache / "cc02"));
}

TEST(DebuginfodCache, AMissingCacheIsEmpty) {
  ScratchDir scratch;
  CacheTrim trim = trim_debuginfod_cache((scratch.path() / "none").string(), 0, INT64_MAX);
  EXPECT_EQ(trim.kept_bytes, 0u);
  EXPECT_EQ(trim.removed_files, 0u);
}

}  // namespace
}  // namespace ember::native

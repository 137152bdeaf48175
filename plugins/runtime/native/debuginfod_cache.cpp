#include "debuginfod_cache.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <vector>

namespace ember::native {
namespace {

namespace fs = std::filesystem;

std::int64_t nanoseconds(const timespec& time) {
  return static_cast<std::int64_t>(time.tv_sec) * 1'000'000'000 + time.tv_nsec;
}

struct CachedFile {
  fs::path path;
  std::uint64_t bytes;
  std::int64_t used_ns;
  int depth;  // directories between it and the cache's top
};

}  // namespace

CacheTrim trim_debuginfod_cache(const std::string& dir, std::uint64_t max_bytes,
                                std::int64_t keep_since_ns) {
  std::vector<CachedFile> files;
  CacheTrim trim;
  std::error_code error;
  fs::recursive_directory_iterator it(dir, error), end;
  for (; !error && it != end; it.increment(error)) {
    struct stat st {};
    if (it.depth() == 0 || ::lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      continue;
    }
    CachedFile file{it->path(), static_cast<std::uint64_t>(st.st_size),
                    std::max(nanoseconds(st.st_atim), nanoseconds(st.st_mtim)), it.depth()};
    trim.kept_bytes += file.bytes;
    files.push_back(std::move(file));
  }
  std::sort(files.begin(), files.end(),
            [](const CachedFile& a, const CachedFile& b) { return a.used_ns < b.used_ns; });
  for (const CachedFile& file : files) {
    if (trim.kept_bytes <= max_bytes || file.used_ns >= keep_since_ns) break;
    std::error_code ignored;
    // A reader that has it open keeps its pages; the name goes now.
    if (!fs::remove(file.path, ignored)) continue;
    trim.kept_bytes -= file.bytes;
    trim.removed_bytes += file.bytes;
    ++trim.removed_files;
    fs::path parent = file.path.parent_path();
    for (int up = 0; up < file.depth; ++up, parent = parent.parent_path()) {
      if (!fs::is_empty(parent, ignored) || !fs::remove(parent, ignored)) break;
    }
  }
  return trim;
}

void mark_used(const std::string& path) {
  const timespec times[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}};
  ::utimensat(AT_FDCWD, path.c_str(), times, 0);
}

}  // namespace ember::native

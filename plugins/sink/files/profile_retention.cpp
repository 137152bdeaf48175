#include "profile_retention.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <system_error>

namespace ember::files {
namespace {

namespace fs = std::filesystem;

struct ProfileFile {
  fs::path path;
  fs::file_time_type written;
  std::uintmax_t bytes = 0;
  bool kept = false;
};

void note_error(Pruned& pruned, const fs::path& path, const std::error_code& error) {
  if (pruned.error.empty()) pruned.error = path.string() + ": " + error.message();
}

void remove(const ProfileFile& file, Pruned& pruned) {
  std::error_code error;
  if (fs::remove(file.path, error)) {
    ++pruned.files;
    pruned.bytes += file.bytes;
  } else if (error) {
    note_error(pruned, file.path, error);
  }
}

}  // namespace

Pruned prune_profiles(const std::string& directory, const ProfileLimits& limits,
                      const std::vector<std::string>& keep) {
  Pruned pruned;
  if (limits.max_age_ns <= 0 && limits.max_bytes <= 0) return pruned;
  std::vector<ProfileFile> files;
  std::error_code error;
  for (fs::directory_iterator it(directory, error), end; !error && it != end; it.increment(error)) {
    const fs::path& path = it->path();
    if (!path.filename().string().starts_with("ember-")) continue;
    std::error_code stat_error;
    if (!it->is_regular_file(stat_error)) continue;
    ProfileFile file{path, it->last_write_time(stat_error), it->file_size(stat_error)};
    if (stat_error) continue;  // gone meanwhile
    file.kept = std::find(keep.begin(), keep.end(), path.string()) != keep.end();
    files.push_back(std::move(file));
  }
  if (error) note_error(pruned, directory, error);
  std::sort(files.begin(), files.end(), [](const ProfileFile& a, const ProfileFile& b) {
    return a.written != b.written ? a.written < b.written : a.path < b.path;
  });

  std::uintmax_t total = 0;
  for (const ProfileFile& file : files) total += file.bytes;
  const auto oldest_kept =
      fs::file_time_type::clock::now() - std::chrono::nanoseconds(limits.max_age_ns);
  for (const ProfileFile& file : files) {
    if (file.kept) continue;
    bool too_old = limits.max_age_ns > 0 && file.written < oldest_kept;
    bool over_size = limits.max_bytes > 0 && total > static_cast<std::uintmax_t>(limits.max_bytes);
    if (!too_old && !over_size) break;  // the files after it are newer: none is over either
    std::uintmax_t before = pruned.files;
    remove(file, pruned);
    if (pruned.files > before) total -= file.bytes;
  }
  return pruned;
}

}  // namespace ember::files

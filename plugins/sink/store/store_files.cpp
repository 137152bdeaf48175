#include "store_files.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <system_error>

#include "ember/private_files.hpp"

namespace ember::store_sink {
namespace {

std::string utc_compact(std::int64_t unix_ns) {
  std::time_t seconds = static_cast<std::time_t>(unix_ns / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &tm);
  return text;
}

bool exists(const std::string& path) {
  struct stat info {};
  return ::lstat(path.c_str(), &info) == 0;
}

}  // namespace

bool is_sqlite_file(const std::string& path) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) return false;
  static constexpr char kHeader[16] = {'S', 'Q', 'L', 'i', 't', 'e', ' ', 'f',
                                       'o', 'r', 'm', 'a', 't', ' ', '3', '\0'};
  char header[16] = {};
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) return false;
  std::size_t read = std::fread(header, 1, sizeof header, file);
  std::fclose(file);
  return read == sizeof header && std::memcmp(header, kHeader, sizeof header) == 0;
}

Status move_aside(const std::string& path, std::int64_t now_ns, std::string& moved_to) {
  std::string target = path + ".damaged-" + utc_compact(now_ns);
  for (int n = 2; exists(target); ++n) {
    target = path + ".damaged-" + utc_compact(now_ns) + "-" + std::to_string(n);
  }
  if (::rename(path.c_str(), target.c_str()) != 0) {
    return Status::error("cannot move " + path + " aside to " + target + ": " +
                         std::error_code(errno, std::generic_category()).message());
  }
  // The WAL may hold the newest committed windows: it travels with the file.
  std::string wal = path + "-wal";
  if (exists(wal)) ::rename(wal.c_str(), (target + "-wal").c_str());
  ::unlink((path + "-shm").c_str());
  moved_to = target;
  return Status::ok();
}

std::string sibling_for_schema(const std::string& path, std::int64_t schema_version) {
  std::filesystem::path p(path);
  std::string stem = p.stem().string();
  std::string extension = p.extension().string();
  if (stem.empty()) stem = p.filename().string();
  return (p.parent_path() / (stem + "-schema" + std::to_string(schema_version) + extension))
      .string();
}

void make_store_private(const std::string& path, std::vector<std::string>& changed,
                        std::vector<std::string>& problems) {
  for (const std::string& file : {path, path + "-wal", path + "-shm"}) {
    bool made = false;
    Status status = make_private_like_new(file, made);
    if (!status) problems.push_back(status.message());
    if (made) changed.push_back(file);
  }
}

Status ensure_parent_directory(const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) return Status::ok();
  std::error_code error;
  std::filesystem::create_directories(parent, error);
  if (error) {
    return Status::error("cannot create directory " + parent.string() + ": " + error.message());
  }
  return Status::ok();
}

}  // namespace ember::store_sink

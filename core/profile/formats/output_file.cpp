#include "output_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

namespace ember::formats {
namespace {

std::string errno_text(int error) {
  return std::error_code(error, std::generic_category()).message();
}

Status write_all(int fd, std::string_view contents) {
  while (!contents.empty()) {
    ssize_t n = ::write(fd, contents.data(), contents.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::error(errno_text(errno));
    }
    contents.remove_prefix(static_cast<std::size_t>(n));
  }
  return Status::ok();
}

}  // namespace

Status write_file_atomically(const std::string& path, std::string_view contents) {
  // Same directory as the target: rename() is atomic only within a filesystem.
  std::string temp = path + ".tmp-" + std::to_string(::getpid());
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::error("cannot write " + path + ": " + errno_text(errno));
  Status written = write_all(fd, contents);
  if (written && ::fsync(fd) != 0) written = Status::error(errno_text(errno));
  if (::close(fd) != 0 && written) written = Status::error(errno_text(errno));
  if (written && ::rename(temp.c_str(), path.c_str()) != 0) {
    written = Status::error(errno_text(errno));
  }
  if (!written) {
    ::unlink(temp.c_str());
    return Status::error("cannot write " + path + ": " + written.message());
  }
  return Status::ok();
}

Status ensure_directory(const std::string& directory) {
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) {
    return Status::error("cannot create directory " + directory + ": " + error.message());
  }
  if (!std::filesystem::is_directory(directory, error)) {
    return Status::error("cannot create directory " + directory + ": not a directory");
  }
  // Permissions, read-only filesystems, /proc...: only a real write tells,
  // and it is better told now than after an hour of profiling.
  std::string probe = (std::filesystem::path(directory) / ".ember-write-test-").string() +
                      std::to_string(::getpid());
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::error("cannot write in " + directory + ": " + errno_text(errno));
  ::close(fd);
  ::unlink(probe.c_str());
  return Status::ok();
}

std::string unused_stem(const std::string& directory, const std::string& stem,
                        const std::vector<std::string>& extensions) {
  auto taken = [&](const std::string& candidate) {
    std::error_code error;
    for (const std::string& extension : extensions) {
      if (std::filesystem::exists(std::filesystem::path(directory) / (candidate + extension),
                                  error)) {
        return true;
      }
    }
    return false;
  };
  std::string candidate = stem;
  for (int n = 2; taken(candidate); ++n) candidate = stem + "-" + std::to_string(n);
  return candidate;
}

}  // namespace ember::formats

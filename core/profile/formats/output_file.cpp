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

AtomicFile::~AtomicFile() {
  if (fd_ < 0) return;
  ::close(fd_);
  ::unlink(temp_.c_str());
}

Status AtomicFile::failed(const std::string& reason) {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
    ::unlink(temp_.c_str());
  }
  return Status::error("cannot write " + path_ + ": " + reason);
}

Status AtomicFile::open() {
  // Same directory as the target: rename() is atomic only within a filesystem.
  temp_ = path_ + ".tmp-" + std::to_string(::getpid());
  fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) return Status::error("cannot write " + path_ + ": " + errno_text(errno));
  return Status::ok();
}

Status AtomicFile::write(std::string_view contents) {
  if (fd_ < 0) return Status::error("cannot write " + path_ + ": not open");
  Status written = write_all(fd_, contents);
  return written ? written : failed(written.message());
}

Status AtomicFile::commit() {
  if (fd_ < 0) return Status::error("cannot write " + path_ + ": not open");
  if (::fsync(fd_) != 0) return failed(errno_text(errno));
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) {
    int error = errno;
    ::unlink(temp_.c_str());
    return Status::error("cannot write " + path_ + ": " + errno_text(error));
  }
  if (::rename(temp_.c_str(), path_.c_str()) != 0) {
    int error = errno;
    ::unlink(temp_.c_str());
    return Status::error("cannot write " + path_ + ": " + errno_text(error));
  }
  return Status::ok();
}

Status write_file_atomically(const std::string& path, std::string_view contents) {
  AtomicFile file(path);
  Status status = file.open();
  if (status) status = file.write(contents);
  if (status) status = file.commit();
  return status;
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

#include "mapped_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

namespace ember::native {

std::string FileIdentity::key() const {
  return std::to_string(device) + ":" + std::to_string(inode) + ":" + std::to_string(size) + ":" +
         std::to_string(mtime_ns);
}

std::string path_outliving_root(const std::string& path, const std::string& root,
                                const FileIdentity& identity) {
  if (root.empty() || path.size() <= root.size() || !path.starts_with(root) ||
      path[root.size()] != '/') {
    return path;
  }
  std::string own = path.substr(root.size());
  struct stat st;
  if (::stat(own.c_str(), &st) != 0 || static_cast<std::uint64_t>(st.st_dev) != identity.device ||
      static_cast<std::uint64_t>(st.st_ino) != identity.inode ||
      static_cast<std::uint64_t>(st.st_size) != identity.size) {
    return path;
  }
  return own;
}

MappedFile::~MappedFile() {
  if (fd_ >= 0) ::close(fd_);
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      opened_path_(std::move(other.opened_path_)),
      identity_(other.identity_) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    opened_path_ = std::move(other.opened_path_);
    identity_ = other.identity_;
  }
  return *this;
}

Status MappedFile::open_path(const std::string& path, MappedFile& out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::error("cannot open " + path + ": " + std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::error(path + " is not a regular file");
  }
  MappedFile file;
  file.fd_ = fd;
  file.opened_path_ = path;
  file.identity_ = FileIdentity{static_cast<std::uint64_t>(st.st_dev),
                                static_cast<std::uint64_t>(st.st_ino),
                                static_cast<std::uint64_t>(st.st_size),
                                static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 +
                                    st.st_mtim.tv_nsec};
  out = std::move(file);
  return Status::ok();
}

Status MappedFile::open(std::uint32_t pid, const std::string& root, const Mapping& mapping,
                        MappedFile& out) {
  MappedFile by_path;
  Status path_status = Status::error(mapping.path + " was deleted");
  if (!mapping.deleted) {
    path_status = open_path(root + mapping.path, by_path);
    // The same inode is the file that was mapped; otherwise it was replaced.
    if (path_status && (mapping.inode == 0 || by_path.identity_.inode == mapping.inode)) {
      out = std::move(by_path);
      return Status::ok();
    }
  }
  char map_file[96];
  std::snprintf(map_file, sizeof map_file, "/proc/%u/map_files/%llx-%llx", pid,
                static_cast<unsigned long long>(mapping.start),
                static_cast<unsigned long long>(mapping.end));
  Status map_status = open_path(map_file, out);
  if (map_status) return map_status;
  // Overlay filesystems may show another inode than the mapping: the path
  // is still the best guess.
  if (path_status) {
    out = std::move(by_path);
    return Status::ok();
  }
  // The process is gone (a shell loop's tool lives a millisecond), and with
  // it /proc/PID/root: the path in the agent's own view serves if it is the
  // very file that was mapped, the same device and inode.
  MappedFile own;
  if (!root.empty() && !mapping.deleted && mapping.inode != 0 &&
      open_path(mapping.path, own) && own.identity_.inode == mapping.inode &&
      own.identity_.device == makedev(mapping.dev_major, mapping.dev_minor)) {
    out = std::move(own);
    return Status::ok();
  }
  return Status::error(path_status.message() + "; " + map_status.message());
}

}  // namespace ember::native

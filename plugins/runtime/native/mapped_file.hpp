// Opens the file behind a mapping of another process, as that process sees
// it: through /proc/PID/root (containers, other mount namespaces), or through
// /proc/PID/map_files when the file was deleted or replaced since it was mapped;
// once the process is gone, through the agent's own view of the path when
// that is the same device and inode.
#pragma once

#include <cstdint>
#include <string>

#include "ember/proc_maps.hpp"
#include "ember/status.hpp"

namespace ember::native {

// Who a file is when it has no build id: equal identities are the same bytes.
struct FileIdentity {
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;

  std::string key() const;
};

// `path`, found through `root` ("/proc/PID/root"), as the agent's own view
// names it when that is the same file (device, inode, size): a path kept to
// reopen the file later (DWARF handles are closed and reopened) must outlive
// the process whose root it went through. Otherwise (a container's own
// file, or no root) `path` itself.
std::string path_outliving_root(const std::string& path, const std::string& root,
                                const FileIdentity& identity);

// An open file descriptor, closed on destruction.
class MappedFile {
 public:
  MappedFile() = default;
  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;

  int fd() const { return fd_; }
  const std::string& opened_path() const { return opened_path_; }
  const FileIdentity& identity() const { return identity_; }

  // `root` is "/proc/PID/root" (or "" for the agent's own view).
  static Status open(std::uint32_t pid, const std::string& root, const Mapping& mapping,
                     MappedFile& out);
  // A regular file by path.
  static Status open_path(const std::string& path, MappedFile& out);

 private:

  int fd_ = -1;
  std::string opened_path_;
  FileIdentity identity_;
};

}  // namespace ember::native

#include "ember/private_files.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "ember/text_file.hpp"

namespace ember {

mode_t current_umask() {
  // umask() cannot read without setting, and setting it, even back, races
  // with the other threads' file creation.
  std::string status;
  if (read_text_file("/proc/self/status", status)) {
    std::size_t at = status.find("\nUmask:");
    if (at != std::string::npos) {
      return static_cast<mode_t>(std::strtoul(status.c_str() + at + 7, nullptr, 8) & 0777);
    }
  }
  return 022;  // kernels before 4.7 do not say: the usual default
}

Status make_private_like_new(const std::string& path, bool& changed) {
  changed = false;
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::ok();
    return Status::error("cannot stat " + path + ": " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode) || st.st_uid != ::geteuid()) return Status::ok();
  const mode_t mode = 0666 & ~current_umask();
  const gid_t group = ::getegid();
  if (st.st_gid != group) {
    if (::chown(path.c_str(), static_cast<uid_t>(-1), group) != 0) {
      return Status::error("cannot give " + path + " group " + std::to_string(group) + ": " +
                           std::strerror(errno));
    }
    changed = true;
  }
  // chown may have cleared set-id bits; the mode is set whole either way.
  if ((st.st_mode & 07777) != mode || changed) {
    if (::chmod(path.c_str(), mode) != 0) {
      return Status::error("cannot chmod " + path + ": " + std::strerror(errno));
    }
    changed = changed || (st.st_mode & 07777) != mode;
  }
  return Status::ok();
}

}  // namespace ember

#include "file_privacy.hpp"

#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ember {

Status keep_agent_files_private(const FilePrivacy& privacy, std::string& warning) {
  warning.clear();
  if (privacy.group.empty()) {
    ::umask(077);
    return Status::ok();
  }
  const auto gid = static_cast<gid_t>(privacy.group_id);
  if (::getegid() != gid) {
    // A changed effective id makes the process non-dumpable (no core file,
    // /proc/PID owned by root): keep what it was.
    int dumpable = ::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
    if (::setegid(gid) != 0) {
      int error = errno;
      ::umask(077);
      if (error == EPERM && ::geteuid() != 0) {
        warning = "agent.group: uid " + std::to_string(::geteuid()) + " may not act as group " +
                  privacy.group + ": what this run writes is private to it";
        return Status::ok();
      }
      return Status::error("agent.group: cannot act as group " + privacy.group + ": " +
                           std::strerror(error));
    }
    if (dumpable > 0) ::prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0);
  }
  ::umask(027);
  return Status::ok();
}

}  // namespace ember

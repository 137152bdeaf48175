#include "plugin_file_trust.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace ember {
namespace {

std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

// Who owns the running binary; root when it cannot be told.
uid_t binary_owner() {
  struct stat info {};
  return ::stat("/proc/self/exe", &info) == 0 ? info.st_uid : 0;
}

}  // namespace

Status check_plugin_path_trusted(const std::string& path, const std::string& what) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    return Status::error(what + " " + path + ": " + std::strerror(errno));
  }
  const uid_t agent_user = ::geteuid();
  if (info.st_uid != 0 && info.st_uid != agent_user && info.st_uid != binary_owner()) {
    return Status::error(what + " " + path + ": refused: owned by uid " +
                         std::to_string(info.st_uid) + ", not root, the agent's user (uid " +
                         std::to_string(agent_user) +
                         ") or the owner of the ember binary; ember runs the code it loads from "
                         "here with the agent's privileges");
  }
  if (info.st_mode & (S_IWGRP | S_IWOTH)) {
    const char* who = (info.st_mode & S_IWOTH) ? "everyone" : "its group";
    return Status::error(what + " " + path + ": refused: writable by " + who + " (mode " +
                         octal_mode(info.st_mode) +
                         "); ember runs the code it loads from here with the agent's privileges "
                         "(fix: chmod go-w " + path + ")");
  }
  return Status::ok();
}

}  // namespace ember

#include "plugin_file_trust.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

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

Status check_stat_trusted(const std::string& path, const std::string& what,
                          const struct stat& info, bool sticky_may_be_shared) {
  const uid_t agent_user = ::geteuid();
  if (info.st_uid != 0 && info.st_uid != agent_user && info.st_uid != binary_owner()) {
    return Status::error(what + " " + path + ": refused: owned by uid " +
                         std::to_string(info.st_uid) + ", not root, the agent's user (uid " +
                         std::to_string(agent_user) +
                         ") or the owner of the ember binary; ember runs the code it loads from "
                         "here with the agent's privileges");
  }
  const bool shared_sticky = sticky_may_be_shared && S_ISDIR(info.st_mode) &&
                             (info.st_mode & S_ISVTX);
  if ((info.st_mode & (S_IWGRP | S_IWOTH)) && !shared_sticky) {
    const char* who = (info.st_mode & S_IWOTH) ? "everyone" : "its group";
    return Status::error(what + " " + path + ": refused: writable by " + who + " (mode " +
                         octal_mode(info.st_mode) +
                         "); ember runs the code it loads from here with the agent's privileges "
                         "(fix: chmod go-w " + path + ")");
  }
  return Status::ok();
}

}  // namespace

Status check_plugin_path_trusted(const std::string& path, const std::string& what) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    return Status::error(what + " " + path + ": " + std::strerror(errno));
  }
  return check_stat_trusted(path, what, info, /*sticky_may_be_shared=*/false);
}

Status check_plugin_file_chain_trusted(const std::string& path) {
  std::error_code error;
  const std::filesystem::path real = std::filesystem::canonical(path, error);
  if (error) return Status::error("plugin " + path + ": " + error.message());
  struct stat info {};
  if (::stat(real.c_str(), &info) != 0) {
    return Status::error("plugin " + path + ": " + std::strerror(errno));
  }
  if (!S_ISREG(info.st_mode)) {
    return Status::error("plugin " + path + ": refused: not a regular file");
  }
  if (Status file = check_stat_trusted(path, "plugin", info, false); !file) return file;
  // Reached through a symlink: say where the refused part is.
  const std::string through = real.string() == path ? "" : " (" + path + " is " + real.string() + ")";
  bool own_directory = true;
  for (std::filesystem::path directory = real.parent_path();; directory = directory.parent_path()) {
    if (::stat(directory.c_str(), &info) != 0) {
      return Status::error("plugin directory " + directory.string() + ": " +
                           std::strerror(errno));
    }
    const std::string what = own_directory ? "plugin directory" : "directory";
    Status trusted = check_stat_trusted(directory.string(), what, info, !own_directory);
    if (!trusted) {
      const std::string above = own_directory ? "" : " (above plugin " + path + ")";
      return Status::error(trusted.message() + above + through);
    }
    if (directory == directory.root_path() || directory.empty()) break;
    own_directory = false;
  }
  return Status::ok();
}

}  // namespace ember

#include "output_owner.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "sudo_user.hpp"

namespace ember::cli {

OutputOwner::OutputOwner(const std::string& path) : path_(path) {
  std::filesystem::path directory = std::filesystem::absolute(path).parent_path();
  std::error_code error;
  while (!directory.empty() && directory != directory.root_path() &&
         !std::filesystem::exists(directory, error)) {
    created_.insert(created_.begin(), directory.string());
    directory = directory.parent_path();
  }
}

Status OutputOwner::hand_over() const {
  auto user = sudo_user();
  if (!user) return Status::ok();
  // No symlink followed: only what ember itself wrote changes hands.
  auto give = [&](const std::string& path) {
    if (::lchown(path.c_str(), user->uid, user->gid) == 0 || errno == ENOENT) return Status::ok();
    return Status::error("cannot give " + path + " to uid " + std::to_string(user->uid) +
                         " (who ran sudo): " + std::strerror(errno));
  };
  for (const std::string& directory : created_) {
    if (Status given = give(directory); !given) return given;
  }
  return give(path_);
}

}  // namespace ember::cli

// `sudo ember record -o FILE`: the profile belongs to the user who ran sudo,
// as the command ember launched for them does, not to root.
#pragma once

#include <string>
#include <vector>

#include "ember/status.hpp"

namespace ember::cli {

class OutputOwner {
 public:
  // Before recording: notes which directories of `path` do not exist yet,
  // the ones ember will create for it.
  explicit OutputOwner(const std::string& path);

  // After recording, under sudo: gives the file and the directories ember
  // created for it to the sudo user (sudo_user.hpp). Does nothing without
  // sudo; an error names the path it could not give.
  Status hand_over() const;

 private:
  std::string path_;
  std::vector<std::string> created_;  // directories missing before, deepest last
};

}  // namespace ember::cli

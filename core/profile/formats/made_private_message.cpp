#include "made_private_message.hpp"

#include <cstdio>

#include "ember/private_files.hpp"

namespace ember::formats {

std::string made_private_message(const std::string& what) {
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(0666 & ~current_umask()));
  return "made " + what + " private (mode " + mode +
         ", the agent's group): an earlier ember left them readable";
}

}  // namespace ember::formats

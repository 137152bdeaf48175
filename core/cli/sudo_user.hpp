// Who ran ember through sudo. `ember record -- COMMAND` runs the command as
// them, and the files it writes belong to them, not to root.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace ember::cli {

struct SudoUser {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string name;  // SUDO_USER; empty when sudo did not say
};

// The user sudo ran ember for (SUDO_UID, SUDO_GID, SUDO_USER), when ember
// runs as root and both ids are numbers; otherwise none.
std::optional<SudoUser> sudo_user();

}  // namespace ember::cli

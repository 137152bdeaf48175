// What the agent writes (the store, profile files, caches) is readable by
// root and, with `[agent] group`, that group's members only. Set once, before
// any file is written or any thread started: the umask makes every file and
// directory the agent or a plugin creates 0600/0700 (0640/0750 with a group),
// and running as the group (effective gid) makes it theirs. Files reused from
// earlier runs are brought in line where they are reused
// (ember/private_files.hpp).
#pragma once

#include <cstdint>
#include <string>

#include "ember/status.hpp"

namespace ember {

struct FilePrivacy {
  std::string group;           // "" = root (the agent's user) only
  std::uint32_t group_id = 0;  // its id (Config::group_id)
};

// Applies `privacy` to this process. A user who may not take the group
// (a non-root `ember record` outside it) keeps its files to itself:
// `warning` says so and the result is ok.
Status keep_agent_files_private(const FilePrivacy& privacy, std::string& warning);

}  // namespace ember

// Profiles and caches are private. The agent runs under a umask of 077 (027
// with `[agent] group`) and, with a group, as that effective group, so a file
// or directory it creates the ordinary way (open(..., 0644),
// create_directories) is 0600 or 0640, 0700 or 0750, and belongs to that
// group. What it reuses from an earlier run may predate that: a plugin that
// keeps files between runs (a cache, a store) hands each reused file to
// make_private_like_new, so one an older version left readable becomes as
// private as a new one.
#pragma once

#include <sys/types.h>

#include <string>

#include "ember/status.hpp"

namespace ember {

// This process' umask, read without changing it (/proc/self/status).
mode_t current_umask();

// Gives `path` the mode (0666 minus the umask) and group (the effective one)
// a file created now would get. Only a regular file this process' user owns
// is changed: anything else, or no file, is left alone. `changed` says
// whether it did anything; errors name the path.
Status make_private_like_new(const std::string& path, bool& changed);

}  // namespace ember

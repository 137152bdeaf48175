// The one log line for files an earlier ember left readable that this one
// made as private as new ones (ember/private_files.hpp), whichever sink
// found them.
#pragma once

#include <string>

namespace ember::formats {

// "made WHAT private (mode 0640, the agent's group): an earlier ember left
// them readable", the mode being what a new file gets under the umask now.
std::string made_private_message(const std::string& what);

}  // namespace ember::formats

// A process's name at the root of its stacks (folded lines, flame graphs):
// its comm, or "[pid N]" when it has none (it exited before it was read).
#pragma once

#include <cstdint>
#include <string>

namespace ember::formats {

inline std::string unnamed_process_name(std::uint32_t pid) {
  return "[pid " + std::to_string(pid) + "]";
}

}  // namespace ember::formats

// The plugin ABI version. A plugin records the version it was built against;
// the host refuses a plugin whose version differs before calling into it.
// Bump on any change to the headers in sdk/include/ember (including bpf/).
#pragma once

#include <cstdint>

namespace ember {
inline constexpr std::uint32_t kAbiVersion = 5;
}  // namespace ember

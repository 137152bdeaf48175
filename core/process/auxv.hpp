// A process' auxiliary vector (/proc/PID/auxv): what the kernel told the
// program at exec, such as where it mapped the dynamic loader.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace ember {

// The value of entry `type` (AT_*) in the raw bytes of an auxv file (pairs of
// native-endian u64, ending with AT_NULL); nullopt when it is absent.
std::optional<std::uint64_t> auxv_value(std::string_view auxv, std::uint64_t type);

// Where the kernel mapped the process' dynamic loader (AT_BASE): 0 for a
// statically linked program, nullopt when auxv cannot be read.
std::optional<std::uint64_t> loader_base(std::uint32_t pid);

}  // namespace ember

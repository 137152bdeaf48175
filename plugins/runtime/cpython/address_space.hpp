// Whether a process still has an address space: a Python that exits between
// the host's probe of its libpython and the plugin's attach has none (a
// zombie's /proc/PID/maps is empty), which is no reason for a warning.
#pragma once

#include <cstdint>

namespace ember::cpython {

// True while /proc/PID/maps lists at least one mapping.
bool has_address_space(std::uint32_t pid);

}  // namespace ember::cpython

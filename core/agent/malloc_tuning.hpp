// glibc's malloc tuned for the agent, once, before its threads start.
#pragma once

#include <string>

namespace ember {

// Caps malloc's arenas at two, unless the environment already chose
// (MALLOC_ARENA_MAX, or glibc.malloc.arena_max in GLIBC_TUNABLES). Returns
// what was done, for the debug log.
std::string configure_malloc();

}  // namespace ember

// The commands that speak HTTP, built into the HTTP module
// (core/http_module), never into the binaries: `ember` runs them through it.
#pragma once

#include <cstdint>

#include "arguments.hpp"

namespace ember::cli {

// Each returns the process exit code; `now` is the wall clock in nanoseconds.
int ui_command(Arguments& args, std::int64_t (*now)());
int server_command(Arguments& args, std::int64_t (*now)());

}  // namespace ember::cli

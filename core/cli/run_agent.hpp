#pragma once

#include "config/config.hpp"

namespace ember::cli {

// Sets up logging, creates the agent and runs it until a signal or the
// duration (0 = forever). Prints fatal errors; returns the exit code.
int run_agent(const Config& config, double duration_seconds);

}  // namespace ember::cli

#pragma once

#include <functional>

#include "config/config.hpp"

namespace ember::cli {

// Sets up logging, creates the agent and runs it until a signal or the
// duration (0 = forever). With `reload`, SIGHUP calls it for a new config
// and the agent applies it. Prints fatal errors; returns the exit code.
int run_agent(const Config& config, double duration_seconds,
              std::function<Status(Config&)> reload = {});

}  // namespace ember::cli

#pragma once

#include <cstdint>
#include <functional>

#include "agent/agent.hpp"
#include "config/config.hpp"

namespace ember::cli {

struct RunLimits {
  double duration_seconds = 0;  // 0 = until a signal
  std::int64_t started_ns = 0;    // monotonic: the duration counts from here (0: from sampling)
  std::uint64_t min_samples = 0;  // go on past the duration until this many...
  double max_seconds = 0;         // ...for at most this long in all
  std::function<void()> on_sampling;  // once the sampler runs
  std::function<void(const RunProgress&)> on_progress;  // about once a second
};

// [ui] enabled = true needs the store sink the UI reads and the HTTP module
// that serves it (http_module.hpp), loaded here (an error naming ui.enabled
// otherwise); ok when the UI is off.
Status check_ui_table(const Config& config);

// Sets up logging, creates the agent and runs it until a signal or the
// limits. With `reload`, SIGHUP calls it for a new config and the agent
// applies it. Prints fatal errors; returns the exit code.
int run_agent(const Config& config, const RunLimits& limits,
              std::function<Status(Config&)> reload = {});

}  // namespace ember::cli

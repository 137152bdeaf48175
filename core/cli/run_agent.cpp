#include "run_agent.hpp"

#include <cstdio>

#include "agent/agent.hpp"
#include "agent/file_privacy.hpp"
#include "logging.hpp"
#include "signals.hpp"

namespace ember::cli {

int run_agent(const Config& config, const RunLimits& limits,
              std::function<Status(Config&)> reload) {
  Status logging = setup_logging(config.log_level, config.log_format);
  if (!logging) {
    std::fprintf(stderr, "ember: %s\n", logging.message().c_str());
    return 2;
  }
  std::string privacy_warning;
  Status private_files =
      keep_agent_files_private(FilePrivacy{config.group, config.group_id}, privacy_warning);
  if (!private_files) {
    std::fprintf(stderr, "ember: %s\n", private_files.message().c_str());
    return 1;
  }
  if (!privacy_warning.empty()) component_logger("agent")->warn("{}", privacy_warning);
  install_stop_handlers();
  std::unique_ptr<Agent> agent;
  Status created = Agent::create(config, agent);
  if (!created) {
    std::fprintf(stderr, "ember: %s\n", created.message().c_str());
    return 1;
  }
  if (reload) {
    install_reload_handler();
    agent->enable_reload(&reload_requested(), std::move(reload));
  }
  if (limits.on_sampling) agent->when_sampling(limits.on_sampling);
  if (limits.on_progress) agent->report_progress(limits.on_progress);
  if (limits.min_samples) agent->extend_until_samples(limits.min_samples, limits.max_seconds);
  Status ran = agent->run(stop_requested(), limits.duration_seconds);
  if (!ran) {
    std::fprintf(stderr, "ember: %s\n", ran.message().c_str());
    return 1;
  }
  return 0;
}

}  // namespace ember::cli

#include "run_agent.hpp"

#include <cstdio>

#include "agent/agent.hpp"
#include "agent/file_privacy.hpp"
#include "agent/reader_priority.hpp"
#include "http_module.hpp"
#include "listen_address.hpp"
#include "logging.hpp"
#include "signals.hpp"
#include "store_path.hpp"

namespace ember::cli {
namespace {

// [ui] enabled: the agent serves the web UI over its own store
// (core/ui/served_ui.hpp), from the HTTP module. Read at start only: a
// reload does not move it.
Status serve_ui(const Config& config, std::unique_ptr<http::AgentUi>& out) {
  Status checked = check_ui_table(config);
  if (!checked) return checked;
  const http::Entry* module = nullptr;  // loaded by the check: this is its entry
  if (Status loaded = load_http_module(module); !loaded) return loaded;
  std::string store = store_of_config(config);
  if (store.empty()) store = kDefaultStore;
  ListenAddress address;
  Status parsed = parse_listen_address(config.ui_listen, address);
  if (!parsed) return Status::error("ui.listen: " + parsed.message());
  Status started = module->serve_agent_ui(store, address, realtime_ns, out);
  if (!started) return Status::error("ui.listen: " + started.message());
  auto log = component_logger("ui");
  std::string host = address.host.find(':') != std::string::npos ? "[" + address.host + "]"
                                                                  : address.host;
  log->info("serving the web UI on http://{}:{}/ (store {})", host, out->port(), store);
  if (!is_loopback_host(address.host)) {
    log->warn("{} is not a loopback address: anyone who can reach it reads every profile in "
              "the store (there is no authentication)",
              address.host);
  }
  return Status::ok();
}

}  // namespace

Status check_ui_table(const Config& config) {
  if (!config.ui_enabled) return Status::ok();
  auto sink = config.sinks.find("store");
  if (sink == config.sinks.end() || !sink->second.enabled) {
    return Status::error(
        "ui.enabled: the agent serves the web UI over its store, and [sink.store] is not "
        "enabled (enable it, or run `ember ui` over a store elsewhere; docs/config.md)");
  }
  const http::Entry* module = nullptr;
  if (Status loaded = load_http_module(module); !loaded) {
    return Status::error("ui.enabled: " + loaded.message());
  }
  return Status::ok();
}

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
  apply_reader_priority(config.priority);  // this thread starts the agent, then reads
  install_stop_handlers();
  std::unique_ptr<Agent> agent;
  Status created = Agent::create(config, agent);
  if (!created) {
    std::fprintf(stderr, "ember: %s\n", created.message().c_str());
    return 1;
  }
  std::unique_ptr<http::AgentUi> served_ui;
  if (config.ui_enabled) {
    Status serving = serve_ui(config, served_ui);
    if (!serving) {
      std::fprintf(stderr, "ember: %s\n", serving.message().c_str());
      return 1;
    }
  }
  if (reload) {
    install_reload_handler();
    agent->enable_reload(&reload_requested(), std::move(reload));
  }
  if (limits.on_sampling) agent->when_sampling(limits.on_sampling);
  if (limits.on_progress) agent->report_progress(limits.on_progress);
  if (limits.started_ns) agent->count_duration_from(limits.started_ns);
  if (limits.min_samples) agent->extend_until_samples(limits.min_samples, limits.max_seconds);
  Status ran = agent->run(stop_requested(), limits.duration_seconds);
  if (!ran) {
    std::fprintf(stderr, "ember: %s\n", ran.message().c_str());
    return 1;
  }
  return 0;
}

}  // namespace ember::cli

#include <cstdio>
#include <string>
#include <vector>

#include "commands.hpp"
#include "config/config.hpp"
#include "plugin_host/plugin_set.hpp"
#include "run_agent.hpp"

namespace ember::cli {
namespace {

constexpr const char* kAgentHelp = R"(Usage: %s --config FILE [OPTIONS]

Runs the ember agent in the foreground: profiles the whole host (or what the
config's [processes] table selects) continuously, closing a window every
[agent] window_seconds and handing it to the enabled sinks. SIGINT and SIGTERM
flush the open window and exit. SIGHUP reloads FILE: runtimes and sinks
enabled or disabled, options changed, rebuilding only what changed (a config
with an error is logged and the running one kept).

Options:
  --config FILE       the TOML config (the documented default is configs/ember.toml)
  --frequency HZ      override [sampler] frequency_hz
  --window SECONDS    override [agent] window_seconds
  --log-level LEVEL   override [agent] log_level
  --ui                serve the web UI as [ui] enabled = true does (on [ui]
                      listen, 127.0.0.1:8080 by default; needs [sink.store])
  --plugin-dir DIR    also load plugins from DIR (repeat for several), after
                      the built-in ones and [agent] plugin_dirs
  --check-config      load FILE, report the first error or "ok", and exit:
                      the core keys, [ui] and every enabled plugin's table (the
                      plugins are loaded and judge their own keys; no BPF is
                      loaded and no profile is written)
  -h, --help          this help

Needs root, or the CAP_BPF and CAP_PERFMON capabilities.
)";

}  // namespace

int agent_command(Arguments& args, const char* program) {
  std::string config_path, log_level;
  std::vector<std::string> plugin_dirs;
  std::uint32_t frequency = 0, window = 0;
  bool check_only = false, serve_ui = false;
  while (auto flag = args.next_flag()) {
    if (*flag == "--help" || *flag == "-h") {
      std::printf(kAgentHelp, program);
      return 0;
    } else if (*flag == "--config") {
      config_path = args.value();
    } else if (*flag == "--frequency") {
      frequency = static_cast<std::uint32_t>(args.number(1, 10000));
    } else if (*flag == "--window") {
      window = static_cast<std::uint32_t>(args.number(1, 3600));
    } else if (*flag == "--log-level") {
      log_level = args.value();
    } else if (*flag == "--plugin-dir") {
      plugin_dirs.push_back(args.value());
    } else if (*flag == "--ui") {
      serve_ui = true;
    } else if (*flag == "--check-config") {
      check_only = true;
    } else {
      std::fprintf(stderr, "%s: unknown option %s (see --help)\n", program, flag->c_str());
      return 2;
    }
  }
  if (args.failed()) {
    std::fprintf(stderr, "%s: %s (see --help)\n", program, args.error().c_str());
    return 2;
  }
  if (config_path.empty()) {
    std::fprintf(stderr, "%s: --config FILE is required (see --help)\n", program);
    return 2;
  }
  // The flags win over the file, at start and at every reload.
  auto load = [=](Config& out) {
    Status loaded = load_config_file(config_path, out);
    if (!loaded) return loaded;
    if (frequency) out.frequency_hz = frequency;
    if (window) out.window_seconds = window;
    if (!log_level.empty()) out.log_level = log_level;
    if (serve_ui) out.ui_enabled = true;
    out.plugin_dirs.insert(out.plugin_dirs.end(), plugin_dirs.begin(), plugin_dirs.end());
    return Status::ok();
  };
  Config config;
  if (Status loaded = load(config); !loaded) {
    std::fprintf(stderr, "%s: %s\n", program, loaded.message().c_str());
    return 2;
  }
  if (check_only) {
    // The plugins' tables too: a typo there must not wait for the agent.
    if (Status plugins = check_plugin_tables(config); !plugins) {
      std::fprintf(stderr, "%s: %s\n", program, plugins.message().c_str());
      return 2;
    }
    if (Status ui = check_ui_table(config); !ui) {
      std::fprintf(stderr, "%s: %s\n", program, ui.message().c_str());
      return 2;
    }
    std::printf("%s: ok\n", config_path.c_str());
    return 0;
  }
  return run_agent(config, RunLimits{}, load);
}

}  // namespace ember::cli

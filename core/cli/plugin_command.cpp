// `ember plugin check FILE.so`: checks a plugin the way the agent would load
// it, without root and without starting the agent.
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "commands.hpp"
#include "config/config.hpp"
#include "logging.hpp"
#include "plugin_host/plugin_check.hpp"

namespace ember::cli {
namespace {

constexpr const char* kPluginHelp = R"(Usage: ember plugin check FILE.so [OPTIONS]

Checks a plugin before the agent loads it, without root: whether the agent
would trust the file (owner and mode), whether it loads into this ember (ABI
version and build fingerprint), what it is, whether its table in a config
file passes its own configure, and which binaries it claims. A plugin that
loads a BPF program in configure has no sampler here: its options are checked,
its BPF program is loaded only by the agent. A sink's configure runs too (it
may open its output).

Options:
  --config FILE     check the plugin's [runtime.NAME] or [sink.NAME] table of
                    this file (default: an empty table, the plugin's defaults)
  --probe BINARY    ask the (runtime) plugin whether it claims this ELF file;
                    may be repeated
  -h, --help        this help

Exit status: 0 when every check passed, 1 when one failed, 2 on bad usage.

Example:
  ember plugin check build/plugins/ember_runtime_toyvm.so \
      --config toyvm.toml --probe build/toyvm
)";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "ember plugin: %s (see ember plugin --help)\n", message.c_str());
  return 2;
}

}  // namespace

int plugin_command(int argc, char** argv) {
  if (argc < 3 || !std::strcmp(argv[2], "--help") || !std::strcmp(argv[2], "-h")) {
    std::fputs(kPluginHelp, argc < 3 ? stderr : stdout);
    return argc < 3 ? 2 : 0;
  }
  if (std::strcmp(argv[2], "check") != 0) {
    return usage_error(std::string("unknown subcommand '") + argv[2] + "'");
  }
  if (argc < 4 || argv[3][0] == '-') {
    if (argc >= 4 && (!std::strcmp(argv[3], "--help") || !std::strcmp(argv[3], "-h"))) {
      std::fputs(kPluginHelp, stdout);
      return 0;
    }
    return usage_error("check needs the plugin file: ember plugin check FILE.so");
  }
  PluginCheckRequest request;
  std::error_code error;
  request.path = std::filesystem::absolute(argv[3], error).string();

  Arguments args(argc, argv, 4);
  while (auto flag = args.next_flag()) {
    if (*flag == "--config") {
      std::string path = args.value();
      if (args.failed()) break;
      Config config;
      Status loaded = load_config_file(path, config);
      if (!loaded) {
        std::fprintf(stderr, "ember plugin: %s\n", loaded.message().c_str());
        return 1;
      }
      request.config = std::move(config);
    } else if (*flag == "--probe") {
      request.probe_paths.push_back(args.value());
    } else if (*flag == "--help" || *flag == "-h") {
      std::fputs(kPluginHelp, stdout);
      return 0;
    } else {
      return usage_error("unknown option '" + *flag + "'");
    }
  }
  if (args.failed()) return usage_error(args.error());

  // The plugin's own log lines (warnings while configuring) go to stderr.
  setup_logging("warn");
  PluginCheckReport report = check_plugin(request);
  std::printf("%s\n", request.path.c_str());
  for (const PluginCheckStep& step : report.steps) {
    std::printf("  %-4s %s: %s\n", step.ok ? "ok" : "FAIL", step.step.c_str(), step.text.c_str());
  }
  return report.ok() ? 0 : 1;
}

}  // namespace ember::cli

#include <cstdio>
#include <string>
#include <vector>

#include "commands.hpp"
#include "config/config.hpp"
#include "run_agent.hpp"

namespace ember::cli {
namespace {

constexpr const char* kRecordHelp = R"(Usage: ember record [OPTIONS]

Samples every process (or the given ones) with the BPF sampler and writes one
profile when the duration ends or on Ctrl-C.

Options:
  --pid PID           profile only this process (repeat for several); default:
                      the whole system
  --duration SECONDS  stop after this long; default: until Ctrl-C / SIGTERM
  --min-samples N     with --duration: if the profile has fewer than N samples
                      by then (a busy machine), record on until it has, for
                      at most 4 times the duration in all
  --frequency HZ      samples per second per CPU (1-10000); default 99
  --output FILE       where to write; the format follows the extension:
                        .folded, .collapsed     collapsed stacks (flamegraph.pl)
                        .speedscope.json, .json speedscope (speedscope.app)
                        .pb.gz, .pprof          pprof (go tool pprof)
                        .svg                    interactive flame graph
                      default: ember.folded
  --config FILE       take runtimes, process filters and sampler settings from
                      this TOML file (see configs/ember.toml); its sinks are
                      replaced by --output. Without it: the native and go
                      runtimes
  --plugin-dir DIR    also load plugins from DIR (repeat for several), after
                      the built-in ones and the config's agent.plugin_dirs
  --log-level LEVEL   trace, debug, info, warn, error or off; default info
  -h, --help          this help

Needs root, or the CAP_BPF and CAP_PERFMON capabilities.

Examples:
  sudo ember record --duration 30 --output system.folded
  sudo ember record --pid 1234 --frequency 999 --duration 10 --output app.speedscope.json
)";

}  // namespace

int record_command(Arguments& args) {
  // Without --config: native code, and Go code named from its own pclntab
  // (it needs nothing in the process and costs nothing elsewhere: stripped
  // Go services would otherwise show as bare addresses).
  Config config;
  config.runtimes["native"].enabled = true;
  config.runtimes["go"].enabled = true;
  std::string config_path, output = "ember.folded", log_level;
  std::vector<std::string> plugin_dirs;
  std::vector<std::uint32_t> pids;
  std::uint32_t frequency = 0;
  double duration = 0;
  std::uint64_t min_samples = 0;

  while (auto flag = args.next_flag()) {
    if (*flag == "--help" || *flag == "-h") {
      std::fputs(kRecordHelp, stdout);
      return 0;
    } else if (*flag == "--pid") {
      pids.push_back(static_cast<std::uint32_t>(args.number(1, 4194304)));
    } else if (*flag == "--duration") {
      duration = args.seconds();
    } else if (*flag == "--min-samples") {
      min_samples = static_cast<std::uint64_t>(args.number(1, 100000000));
    } else if (*flag == "--frequency") {
      frequency = static_cast<std::uint32_t>(args.number(1, 10000));
    } else if (*flag == "--output") {
      output = args.value();
    } else if (*flag == "--config") {
      config_path = args.value();
    } else if (*flag == "--plugin-dir") {
      plugin_dirs.push_back(args.value());
    } else if (*flag == "--log-level") {
      log_level = args.value();
    } else {
      std::fprintf(stderr, "ember record: unknown option %s (see ember record --help)\n",
                   flag->c_str());
      return 2;
    }
  }
  if (!args.failed() && min_samples && duration <= 0) {
    std::fprintf(stderr, "ember record: --min-samples needs --duration (see ember record --help)\n");
    return 2;
  }
  if (args.failed()) {
    std::fprintf(stderr, "ember record: %s (see ember record --help)\n", args.error().c_str());
    return 2;
  }
  if (!config_path.empty()) {
    config = Config();
    Status loaded = load_config_file(config_path, config);
    if (!loaded) {
      std::fprintf(stderr, "ember: %s\n", loaded.message().c_str());
      return 2;
    }
  }

  // Flags override the file.
  if (!pids.empty()) config.pids = pids;
  if (frequency) config.frequency_hz = frequency;
  if (!log_level.empty()) config.log_level = log_level;
  config.plugin_dirs.insert(config.plugin_dirs.end(), plugin_dirs.begin(), plugin_dirs.end());
  for (auto& [name, sink] : config.sinks) sink.enabled = false;
  PluginConfig& files = config.sinks["files"];
  files = PluginConfig{};
  files.enabled = true;
  files.required = true;
  files.options["path"] = Option{output, "--output"};
  RunLimits limits;
  limits.duration_seconds = duration;
  limits.min_samples = min_samples;
  limits.max_seconds = 4 * duration;
  return run_agent(config, limits);
}

}  // namespace ember::cli

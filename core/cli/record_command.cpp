#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "commands.hpp"
#include "config/config.hpp"
#include "exit_watch.hpp"
#include "launched_command.hpp"
#include "output_owner.hpp"
#include "profile_format.hpp"
#include "record_status.hpp"
#include "run_agent.hpp"
#include "signals.hpp"

namespace ember::cli {
namespace {

constexpr const char* kRecordHelp = R"(Usage: ember record [OPTIONS] [-- COMMAND [ARGS...]]

Samples every process, the given ones, or COMMAND and its descendants with the
BPF sampler and writes one profile when the duration ends, when every profiled
process has exited, or on Ctrl-C. With COMMAND, ember exits with its status.

Options:
  -p, --pid PID         profile only this process (repeat for several); default:
                        the whole system
  -d, --duration TIME   end this long after the command started (setting up
                        and writing the profile included, taking at most a
                        tenth of it, 1 s, from the sampling): seconds, or
                        500ms, 30s, 2m, 1h;
                        default: until the profiled processes exit, or Ctrl-C
  --min-samples N       with --duration: if the profile has fewer than N samples
                        by then (a busy machine), record on until it has, for
                        at most 4 times the duration in all
  -F, --frequency HZ    samples per second per CPU (1-10000); default 99
  -o, --output FILE     where to write; the format follows the extension:
                          .folded, .collapsed     collapsed stacks (flamegraph.pl)
                          .speedscope.json, .json speedscope (speedscope.app)
                          .pb.gz, .pprof          pprof (go tool pprof)
                          .svg                    interactive flame graph
                          -                       collapsed stacks to stdout
                                                  (COMMAND's stdout goes to stderr)
                        default: ember.folded
  --flame               an .svg with the root at the bottom (a flame graph);
                        default: an icicle, the root at the top
  --native              write every frame: the interpreters' own internals too
                        (by default they fold into the Python, Java or
                        JavaScript function that ran them, as ember report
                        shows them)
  --config FILE         take runtimes, process filters and sampler settings from
                        this TOML file (see configs/ember.toml); its sinks are
                        replaced by --output. Default: /etc/ember/ember.toml if
                        it exists, else every runtime ember ships (native,
                        cpython, go, java, node)
  --runtime NAME=off    turn a runtime off (or NAME=on: on); repeatable
  --plugin-dir DIR      also load plugins from DIR (repeat for several), after
                        the built-in ones and the config's agent.plugin_dirs
  --log-level LEVEL     trace, debug, info, warn, error or off; default info
  -h, --help            this help

On a terminal, a status line shows the time, samples, lost samples and
processes seen so far.

Needs root, or the CAP_BPF and CAP_PERFMON capabilities. Under sudo, COMMAND
runs as the user who ran sudo, and the output file (and any directory ember
created for it) belongs to them.

Examples:
  sudo ember record -o app.svg -- python3 app.py
  sudo ember record -p 1234 -F 999 -d 10s -o app.speedscope.json
  sudo ember record -d 30 -o system.folded
)";

constexpr const char* kSystemConfig = "/etc/ember/ember.toml";

// When this process started (exec), on the monotonic clock: `--duration` is
// the command's wall time, loading ember itself included. /proc's start time
// is in clock ticks since boot; now, if it cannot be read.
std::int64_t process_start_ns() {
  const std::int64_t now = monotonic_ns();
  std::ifstream stat("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // The fields after the command name (which may hold spaces): 3 on.
  const std::size_t name_end = text.rfind(')');
  std::istringstream fields(name_end == std::string::npos ? "" : text.substr(name_end + 1));
  std::string field;
  unsigned long long start_ticks = 0;
  for (int number = 3; number <= 22 && fields >> field; ++number) {
    if (number == 22) start_ticks = std::strtoull(field.c_str(), nullptr, 10);
  }
  const long ticks = sysconf(_SC_CLK_TCK);
  timespec boot{};
  if (!start_ticks || ticks <= 0 || clock_gettime(CLOCK_BOOTTIME, &boot) != 0) return now;
  const std::int64_t since_boot = std::int64_t(boot.tv_sec) * 1000000000 + boot.tv_nsec;
  const std::int64_t age = since_boot - std::int64_t(start_ticks) * (1000000000 / ticks);
  return age > 0 && age < 60 * std::int64_t{1000000000} ? now - age : now;
}

// The runtimes ember ships, all on, as in configs/ember.toml.
Config shipped_defaults() {
  Config config;
  for (const char* name : {"native", "cpython", "go", "java", "node"}) {
    config.runtimes[name].enabled = true;
  }
  config.runtimes["native"].required = true;
  return config;
}

Status set_runtime(Config& config, const std::string& setting) {
  std::size_t equals = setting.find('=');
  std::string name = setting.substr(0, equals);
  std::string state = equals == std::string::npos ? "" : setting.substr(equals + 1);
  if (state != "on" && state != "off") {
    return Status::error("--runtime: expected NAME=on or NAME=off, got '" + setting + "'");
  }
  auto runtime = config.runtimes.find(name);
  if (runtime == config.runtimes.end()) {
    std::string known;
    for (const auto& [each, _] : config.runtimes) known += (known.empty() ? "" : ", ") + each;
    return Status::error("--runtime: no runtime named '" + name + "' (known: " + known + ")");
  }
  if (state == "off" && runtime->second.required) {
    return Status::error("--runtime: " + name + " is required and cannot be turned off");
  }
  runtime->second.enabled = state == "on";
  return Status::ok();
}

// `--output -`: the profile goes through a private file to stdout.
class StdoutOutput {
 public:
  ~StdoutOutput() {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  bool open() {
    // $TMPDIR when it names a directory (as mktemp does), else /tmp.
    std::error_code no_tmpdir;
    std::filesystem::path tmp = std::filesystem::temp_directory_path(no_tmpdir);
    if (no_tmpdir) tmp = "/tmp";
    std::string pattern = (tmp / "ember-record-XXXXXX").string();
    if (!mkdtemp(pattern.data())) return false;
    dir_ = pattern;
    return true;
  }
  std::string path() const { return dir_ + "/profile.folded"; }
  void copy_to_stdout() const {
    std::ifstream in(path(), std::ios::binary);
    std::cout << in.rdbuf();
    std::cout.flush();
  }

 private:
  std::string dir_;
};

}  // namespace

int record_command(Arguments& args) {
  const std::int64_t started = process_start_ns();
  args.alias("-p", "--pid");
  args.alias("-d", "--duration");
  args.alias("-F", "--frequency");
  args.alias("-o", "--output");
  args.allow_command();
  std::string config_path, output = "ember.folded", log_level;
  std::vector<std::string> plugin_dirs, runtime_settings;
  std::vector<std::uint32_t> pids;
  std::uint32_t frequency = 0;
  double duration = 0;
  std::uint64_t min_samples = 0;
  bool native = false;
  bool flame = false;

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
    } else if (*flag == "--native") {
      native = true;
    } else if (*flag == "--flame") {
      flame = true;
    } else if (*flag == "--config") {
      config_path = args.value();
    } else if (*flag == "--runtime") {
      runtime_settings.push_back(args.value());
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
  const std::vector<std::string>& command = args.command();
  if (!args.failed() && min_samples && duration <= 0) {
    std::fprintf(stderr, "ember record: --min-samples needs --duration (see ember record --help)\n");
    return 2;
  }
  formats::ProfileFormat output_format{};
  if (!args.failed() && flame &&
      !(formats::profile_format_of_path(output, output_format) &&
        output_format == formats::ProfileFormat::svg)) {
    std::fprintf(stderr, "ember record: --flame applies to an .svg output only\n");
    return 2;
  }
  if (!args.failed() && !command.empty() && !pids.empty()) {
    std::fprintf(stderr, "ember record: --pid and a command cannot be combined\n");
    return 2;
  }
  if (args.failed()) {
    std::fprintf(stderr, "ember record: %s (see ember record --help)\n", args.error().c_str());
    return 2;
  }

  Config config = shipped_defaults();
  if (config_path.empty() && access(kSystemConfig, F_OK) == 0) config_path = kSystemConfig;
  if (!config_path.empty()) {
    config = Config();
    Status loaded = load_config_file(config_path, config);
    if (!loaded) {
      std::fprintf(stderr, "ember: %s\n", loaded.message().c_str());
      return 2;
    }
  }
  for (const std::string& setting : runtime_settings) {
    if (Status set = set_runtime(config, setting); !set) {
      std::fprintf(stderr, "ember record: %s\n", set.message().c_str());
      return 2;
    }
  }

  // Watched before the agent starts: a pid with no process is a mistake.
  ExitWatch exits;
  if (!pids.empty()) {
    if (Status watched = exits.start(pids, stop_requested()); !watched) {
      std::fprintf(stderr, "ember record: %s\n", watched.message().c_str());
      return 2;
    }
  }
  StdoutOutput to_stdout;
  if (output == "-") {
    if (!to_stdout.open()) {
      std::perror("ember record: cannot create a temporary directory");
      return 1;
    }
    output = to_stdout.path();
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
  files.options["view"] = Option{std::string(native ? "native" : "runtime"), "--native"};
  if (flame) files.options["flame"] = Option{true, "--flame"};
  RunLimits limits;
  limits.duration_seconds = duration;
  limits.started_ns = started;
  limits.min_samples = min_samples;
  limits.max_seconds = 4 * duration;
  limits.on_progress = terminal_status_line();

  std::unique_ptr<LaunchedCommand> launched;
  bool launch_failed = false;
  if (!command.empty()) {
    launched = std::make_unique<LaunchedCommand>();
    if (Status started = launched->start(command, output == to_stdout.path()); !started) {
      std::fprintf(stderr, "ember record: %s\n", started.message().c_str());
      return 1;
    }
    std::uint32_t pid = static_cast<std::uint32_t>(launched->pid());
    config.pids = {pid};
    config.follow_children = true;
    if (Status watched = exits.start({pid}, stop_requested()); !watched) {
      std::fprintf(stderr, "ember record: %s\n", watched.message().c_str());
      return 1;
    }
    limits.on_sampling = [&] {
      if (Status released = launched->release(); !released) {
        std::fprintf(stderr, "ember record: %s\n", released.message().c_str());
        launch_failed = true;
        stop_requested().store(true);
      }
    };
  }
  const OutputOwner owner(output);
  int code = run_agent(config, limits);
  if (output == to_stdout.path() && code == 0) {
    to_stdout.copy_to_stdout();
  } else if (Status given = owner.hand_over(); !given) {
    std::fprintf(stderr, "ember record: %s\n", given.message().c_str());
  }
  if (launched) {
    int status = launched->wait();
    if (launch_failed) return 127;
    if (code == 0) return status;
  }
  return code;
}

}  // namespace ember::cli

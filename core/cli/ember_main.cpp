// `ember`: the command-line front door. Subcommands are thin; the work is in core.
#include <cstdio>
#include <cstring>

#include "commands.hpp"

namespace {

constexpr const char* kHelp = R"(Usage: ember COMMAND [OPTIONS]

ember is a continuous profiler for Linux: it samples every thread of every
process with eBPF and names native, kernel and runtime frames.

Commands:
  record    profile the system or some processes for a while, write one file
  report    the hottest functions, a comparison or a profile file from the store
  ui        serve the web UI over the store (flame graphs, time ranges, compare)
  server    the fleet server: agents upload to it, it stores in ClickHouse
  agent     run the continuous agent (same as emberd)
  plugin    check a plugin file before the agent loads it (ember plugin check)
  version   print the version

Run 'ember COMMAND --help' for a command's options.
)";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") ||
      !std::strcmp(argv[1], "help")) {
    std::fputs(kHelp, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (!std::strcmp(argv[1], "plugin")) return ember::cli::plugin_command(argc, argv);
  ember::cli::Arguments args(argc, argv, 2);
  if (!std::strcmp(argv[1], "record")) return ember::cli::record_command(args);
  if (!std::strcmp(argv[1], "report")) return ember::cli::report_command(args);
  if (!std::strcmp(argv[1], "ui") || !std::strcmp(argv[1], "server")) {
    return ember::cli::http_command(argv[1], argc, argv);
  }
  if (!std::strcmp(argv[1], "agent")) return ember::cli::agent_command(args, "ember agent");
  if (!std::strcmp(argv[1], "version") || !std::strcmp(argv[1], "--version")) {
    std::printf("ember %s\n", EMBER_VERSION);
    return 0;
  }
  std::fprintf(stderr, "ember: unknown command '%s' (see ember --help)\n", argv[1]);
  return 2;
}

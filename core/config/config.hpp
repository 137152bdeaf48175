// The agent's configuration: configs/ember.toml documents every key.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ember/options.hpp"
#include "ember/status.hpp"

namespace ember {

// [runtime.<name>] or [sink.<name>]: the host's keys plus the plugin's own.
struct PluginConfig {
  bool enabled = false;
  bool required = false;  // the agent refuses to start without this plugin
  Options options;        // every other key of the table, for the plugin
  std::string where;      // "file:line:col" of the table header
  // Sinks only: windows waiting for the sink before the oldest is dropped
  // (by count, and by their estimated bytes), and how long shutdown waits
  // for it to deliver them, flush and close.
  std::uint32_t queue_windows = 8;           // 1 .. 1024
  std::uint32_t queue_mb = 32;               // 1 .. 65536
  std::uint32_t flush_timeout_seconds = 30;  // 1 .. 3600
};

// [[service]]: processes matching every given regex get the label `name`.
struct ServiceRule {
  std::string name;
  std::string match_exe;        // on the executable path
  std::string match_cmdline;    // on the command line (arguments joined by spaces)
  std::string match_container;  // on the container name or id
  std::string where;            // "file:line:col" of the table
};

struct Config {
  std::string source;  // path of the file, empty for built-in defaults

  // [agent]
  std::vector<std::string> plugin_dirs;      // searched after <dir of ember binary>/../lib/ember/plugins
  std::string log_level = "info";            // trace, debug, info, warn, error, off
  std::string log_format = "text";           // "text" or "json" (one object per line)
  std::uint32_t window_seconds = 60;         // 1 .. 3600
  std::uint32_t max_window_mb = 1;           // 0 (no limit) .. 4096: a window closes early past it
  // The reading threads' scheduling (reader_priority.hpp): "realtime"
  // (SCHED_FIFO 1, the ring's reader 2), "high" (nice -10) or "normal".
  std::string priority = "realtime";
  std::uint32_t metrics_interval_ms = 1000;  // 0 (off) or 100 .. 3600000
  std::string group;                         // may read the store, profiles, caches; "" = root only
  std::uint32_t group_id = 0;                // its id, looked up when the config is read

  // [sampler]
  std::string event = "cpu-clock";       // "cpu-clock" (software) or "cycles" (hardware)
  std::uint32_t frequency_hz = 99;       // 1 .. 10000
  std::uint32_t ring_buffer_kib = 1024;  // power of two, 64 .. 1048576
  std::uint32_t stack_snapshot_bytes = 16384;  // 0 .. 65536, for DWARF unwinding
  std::uint32_t leaf_snapshot_bytes = 1024;    // 0 .. 4096, every process' leaf frame

  // [processes]
  std::vector<std::uint32_t> pids;   // only these processes; empty = all
  bool follow_children = false;      // and their descendants (ember record -- COMMAND)
  std::vector<std::string> include;  // regexes on comm or exe; empty = all
  std::vector<std::string> exclude;  // regexes on comm or exe

  // [containers]
  std::string container_state_root = "/";  // where the runtimes' state dirs are seen

  std::vector<ServiceRule> services;  // [[service]], first match wins

  // [ui]: the web UI and its JSON API: `ember ui`'s address, and with
  // `enabled` the agent serves it over its store (core/ui/served_ui.hpp)
  bool ui_enabled = false;
  std::string ui_listen = "127.0.0.1:8080";  // HOST:PORT (listen_address.hpp)

  std::map<std::string, PluginConfig> runtimes;  // by plugin name
  std::map<std::string, PluginConfig> sinks;
};

// Parses a config file. Errors name the file, line, column and key:
//   "ember.toml:12:1: sampler.frequency_hz: must be between 1 and 10000, got 0"
Status load_config_file(const std::string& path, Config& out);

// Parses config text (`source_name` is used in messages).
Status parse_config(std::string_view text, const std::string& source_name, Config& out);

}  // namespace ember

// `ember plugin check`: what a plugin author (or an operator about to deploy
// a plugin) wants to know before the agent loads it, without root: would the
// agent trust the file, does it load here (in a child first, as the agent
// loads it: ABI, build fingerprint, constructors), what it
// is, does its config table pass its own configure, which binaries it claims.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "plugin_load_trial.hpp"

namespace ember {

struct PluginCheckRequest {
  std::string path;                       // the plugin's .so
  std::optional<Config> config;           // its [runtime.X]/[sink.X] table is configured
  std::vector<std::string> probe_paths;   // binaries to probe (runtime plugins)
  std::string checker = default_plugin_load_checker();  // runs its first load
};

struct PluginCheckStep {
  std::string step;  // "file", "abi", "plugin", "config", "probe PATH"
  bool ok = false;
  std::string text;
};

struct PluginCheckReport {
  std::vector<PluginCheckStep> steps;
  bool ok() const;
};

// Runs every check that the previous ones allow (nothing runs from a file
// that does not load). A plugin whose configure loads BPF has no sampler to
// share maps with here: its options are read, and the BPF step is reported
// as not run rather than failed.
PluginCheckReport check_plugin(const PluginCheckRequest& request);

}  // namespace ember

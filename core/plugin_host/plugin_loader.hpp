// Finds and loads plugin shared objects, checking the ABI version and build
// fingerprint (ember/abi.hpp) before anything else in the plugin runs.
#pragma once

#include <boost/dll/shared_library.hpp>
#include <memory>
#include <string>
#include <vector>

#include "ember/plugin.hpp"
#include "ember/status.hpp"
#include "plugin_load_trial.hpp"

namespace ember {

struct LoadedLibrary {
  std::string path;
  std::shared_ptr<boost::dll::shared_library> library;  // outlives what it created
  const PluginDescriptor* descriptor = nullptr;
  // What the plugin was built for: gate calls to virtuals added after its
  // minor (abi.hpp).
  AbiStamp abi{};
};

// Loads one plugin into a host built as `host` (tests play other hosts).
// Errors name the file and, for a version mismatch, both versions: "plugin
// /x/y.so: built for ember plugin ABI version 4, this ember supports version
// 5.0"; for a fingerprint mismatch, both fingerprints.
Status load_plugin_library(const std::string& path, LoadedLibrary& out,
                           const AbiStamp& host = this_build_abi_stamp());

// "runtime" or "sink", as in the config's tables and the plugins' files.
const char* plugin_type_name(PluginType type);

// The file a plugin is looked for under: ember_<type>_<name>.so. Only the
// files of enabled plugins are opened, so a plugin is found by its name
// without loading anything else.
std::string plugin_file_name(PluginType type, const std::string& name);

// The first of `directories` holding plugin_file_name(type, name), as a
// path; empty when none does.
std::string find_plugin_file(const std::vector<std::string>& directories, PluginType type,
                             const std::string& name);

// The names the plugin files of `type` in `directories` are named for, for
// messages ("runtime plugins: cpython, go, ..."); nothing is opened.
std::vector<std::string> plugin_names_in(const std::vector<std::string>& directories,
                                         PluginType type);

// Loads the enabled plugin `name` from `path` (find_plugin_file). Refused,
// before anything in it runs, when the file or a directory above it could be
// written by someone else (plugin_file_trust.hpp); its first load runs in a
// trial process (plugin_load_trial.hpp), so a crash while loading is an
// error naming it; and the plugin inside must be the one the file is named for.
Status load_enabled_plugin(const std::string& path, PluginType type, const std::string& name,
                           LoadedLibrary& out,
                           const std::string& checker = default_plugin_load_checker());

// The default plugin directory: <dir of the running binary>/../lib/ember/plugins.
std::string default_plugin_directory();

// The directories to load plugins from: the built-in one first, then the
// configured ones (agent.plugin_dirs, --plugin-dir) that are not the same
// directory again. Configured directories add plugins; they never hide the
// built-in ones.
std::vector<std::string> plugin_directories(const std::vector<std::string>& configured,
                                            const std::string& built_in = default_plugin_directory());

}  // namespace ember

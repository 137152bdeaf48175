// Finds and loads plugin shared objects, checking the ABI version and build
// fingerprint (ember/abi.hpp) before anything else in the plugin runs.
#pragma once

#include <boost/dll/shared_library.hpp>
#include <memory>
#include <string>
#include <vector>

#include "ember/plugin.hpp"
#include "ember/status.hpp"

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

// Loads every *.so in `directories` (sorted by name), in order; of two
// plugins with one name, the first directory's wins. A directory or file
// someone else could write to (plugin_file_trust.hpp), and plugins that fail
// to load, are skipped and their errors appended to `errors`.
std::vector<LoadedLibrary> load_plugin_directories(const std::vector<std::string>& directories,
                                                   std::vector<std::string>& errors,
                                                   const AbiStamp& host = this_build_abi_stamp());

// The default plugin directory: <dir of the running binary>/../lib/ember/plugins.
std::string default_plugin_directory();

// The directories to load plugins from: the built-in one first, then the
// configured ones (agent.plugin_dirs, --plugin-dir) that are not the same
// directory again. Configured directories add plugins; they never hide the
// built-in ones.
std::vector<std::string> plugin_directories(const std::vector<std::string>& configured,
                                            const std::string& built_in = default_plugin_directory());

}  // namespace ember

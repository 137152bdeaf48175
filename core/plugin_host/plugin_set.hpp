// The runtime and sink plugins the config enables, loaded, created and
// configured. A plugin that fails is logged and skipped unless the config
// marks it required.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "ember/runtime_plugin.hpp"
#include "ember/sink_plugin.hpp"
#include "host_handle.hpp"
#include "plugin_loader.hpp"

namespace ember {

// Members in this order so the plugin dies first and its library last.
template <typename Plugin>
struct PluginInstance {
  std::string name;
  std::shared_ptr<boost::dll::shared_library> library;
  std::unique_ptr<HostHandle> host;
  std::unique_ptr<Plugin> plugin;
};

struct PluginSet {
  std::vector<PluginInstance<RuntimePlugin>> runtimes;
  std::vector<PluginInstance<SinkPlugin>> sinks;

  // The runtime plugin that handles every process (native), or null.
  RuntimePlugin* native() const;
};

// Loads the plugin directories of `config`, then creates and configures each
// enabled plugin. Errors about optional plugins are logged; the first error
// about a required one is returned.
Status create_plugins(const Config& config, Sampler* sampler, PluginSet& out);

}  // namespace ember

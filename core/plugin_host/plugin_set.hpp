// The runtime and sink plugins the config enables, loaded, created and
// configured. A mistake in a plugin's table (unknown key, wrong type, bad
// value, a plugin name no file has) is an error; a plugin that cannot be
// loaded or set up on this host is logged and skipped unless the config
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
  PluginInstance() = default;
  PluginInstance(std::string name, std::shared_ptr<boost::dll::shared_library> library,
                 std::unique_ptr<HostHandle> host, std::unique_ptr<Plugin> plugin,
                 std::uint32_t abi_minor = kAbiMinor)
      : name(std::move(name)),
        library(std::move(library)),
        host(std::move(host)),
        plugin(std::move(plugin)),
        abi_minor(abi_minor) {}
  PluginInstance(PluginInstance&&) noexcept = default;
  // Not the default, which assigns in member order: replacing the library
  // first may unload it (the last reference, a plugin just disabled) while
  // the plugin it made, deleted next, still needs its code.
  PluginInstance& operator=(PluginInstance&& other) noexcept {
    plugin.reset();
    host.reset();
    name = std::move(other.name);
    library = std::move(other.library);
    host = std::move(other.host);
    plugin = std::move(other.plugin);
    abi_minor = other.abi_minor;
    return *this;
  }

  std::string name;
  std::shared_ptr<boost::dll::shared_library> library;
  std::unique_ptr<HostHandle> host;
  std::unique_ptr<Plugin> plugin;
  std::uint32_t abi_minor = kAbiMinor;  // what it was built for (LoadedLibrary::abi)
};

struct PluginSet {
  std::vector<PluginInstance<RuntimePlugin>> runtimes;
  std::vector<PluginInstance<SinkPlugin>> sinks;

  // The runtime plugin that handles every process (native), or null.
  RuntimePlugin* native() const;
};

// Loads the plugin directories of `config`, then creates and configures each
// enabled plugin. Returns the first mistake in a table, or the first failure
// of a required plugin; failures of optional ones are logged.
Status create_plugins(const Config& config, Sampler* sampler, PluginSet& out);

// `--check-config`: each enabled plugin's table as create_plugins would judge
// it, without a sampler (no BPF is loaded, no profile is written).
Status check_plugin_tables(const Config& config);

// The steps of create_plugins, for a config reload that replaces only what
// changed. Libraries that fail to load are logged.
std::vector<LoadedLibrary> load_plugins_of(const Config& config);
Status create_runtime_plugins(const std::vector<LoadedLibrary>& libraries, const Config& config,
                              Sampler* sampler, std::vector<PluginInstance<RuntimePlugin>>& out);
// Appends the sink to `out`; a mistake in its table is returned, a failure
// to start is logged, or returned when required.
Status create_sink_plugin(const std::vector<LoadedLibrary>& libraries,
                          const std::vector<std::string>& plugin_dirs, const std::string& name,
                          const PluginConfig& config, std::vector<PluginInstance<SinkPlugin>>& out);

// Equal for the plugin: both disabled, or enabled with the same options
// (positions in the file ignored).
bool same_plugin_config(const PluginConfig& a, const PluginConfig& b);

}  // namespace ember

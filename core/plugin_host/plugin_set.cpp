#include "plugin_set.hpp"

#include <algorithm>
#include <filesystem>
#include <set>

#include "check_host.hpp"
#include "guarded_call.hpp"
#include "logging.hpp"
#include "plugin_file_trust.hpp"
#include "plugin_load_trial.hpp"

namespace ember {
namespace {

// The plugins ember ships (their files: ember_<type>_<name>.so).
bool is_shipped(PluginType type, const std::string& name) {
  static const std::set<std::string> runtimes = {"native", "cpython", "go", "java", "node"};
  static const std::set<std::string> sinks = {"files", "store"};
  return (type == PluginType::runtime ? runtimes : sinks).count(name) > 0;
}

bool plugin_file_exists(const std::vector<std::string>& plugin_dirs, PluginType type,
                        const std::string& name) {
  return !find_plugin_file(plugin_directories(plugin_dirs), type, name).empty();
}

std::string names_of(const std::vector<std::string>& plugin_dirs, PluginType type) {
  std::string out;
  for (const std::string& name : plugin_names_in(plugin_directories(plugin_dirs), type)) {
    out += (out.empty() ? "" : ", ") + name;
  }
  return out.empty() ? "none" : out;
}

// An enabled plugin that is not among the loaded ones. Its file missing (an
// install without it) or broken (its load error is logged above) leaves an
// optional plugin out with a warning; a name no plugin file has is a mistake
// in the config.
Status missing_plugin(const std::vector<std::string>& plugin_dirs, PluginType type,
                      const std::string& name, const PluginConfig& config) {
  const std::string label = std::string(plugin_type_name(type)) + "." + name;
  const std::string where = config.where.empty() ? "" : config.where + ": ";
  const bool known = is_shipped(type, name) || plugin_file_exists(plugin_dirs, type, name);
  std::string message =
      known ? where + label + ": enabled, but no plugin named '" + name +
                  "' could be loaded from the plugin directories"
            : where + label + ": no plugin named '" + name + "' (" + plugin_type_name(type) +
                  " plugins: " + names_of(plugin_dirs, type) + ")";
  if (config.required) {
    return Status::error(message + " (required plugin " + label + ": not starting without it)");
  }
  if (!known) return Status::error(message);
  component_logger("plugins")->warn("{} (continuing without it)", message);
  return Status::ok();
}

// A configure error that names a key of the plugin's table, as OptionReader
// writes them ("ember.toml:3:1: runtime.cpython.max_frams: unknown key"): a
// mistake in the config, an error whether or not the plugin is required.
// Other failures (no BPF here, a directory that cannot be made) are the
// host's, and leave an optional plugin out.
bool names_a_key(const std::string& message, const std::string& label) {
  return message.find(label + ".") != std::string::npos;
}

// configure()'s error with the plugin's section in front (plugins' messages
// usually name it already: "sink.files: ...").
Status labelled(const Status& failed, const std::string& label) {
  const std::string& message = failed.message();
  return Status::error(message.find(label) != std::string::npos ? message
                                                                 : label + ": " + message);
}

// How a failed configure of an enabled plugin ends: its table's mistake or a
// required plugin's failure stops the agent; an optional plugin's failure is
// logged and the agent goes on without it.
Status configure_failed(const Status& failed, const std::string& label,
                        const PluginConfig& config) {
  Status error = labelled(failed, label);
  if (names_a_key(error.message(), label)) return error;
  if (config.required) {
    return Status::error(error.message() + " (required plugin " + label +
                         ": not starting without it)");
  }
  component_logger("plugins")->error("{} (continuing without it)", error.message());
  return Status::ok();
}

// --check-config's question to one plugin: its configure() on a throwaway
// instance and a host without a sampler. A plugin reads its options before
// it reaches for BPF, so one that got that far has accepted them.
Status check_options(const PluginDescriptor& descriptor, const PluginConfig& config) {
  const std::string label = std::string(plugin_type_name(descriptor.type)) + "." + descriptor.name;
  CheckHost host(label, /*quiet=*/true);
  std::unique_ptr<RuntimePlugin> runtime;
  std::unique_ptr<SinkPlugin> sink;
  Status configured = configure_new_plugin(descriptor, config.options, host, runtime, sink);
  if (configured || host.wanted_bpf()) return Status::ok();
  return configure_failed(configured, label, config);
}

const LoadedLibrary* find_library(const std::vector<LoadedLibrary>& libraries, PluginType type,
                                  const std::string& name) {
  auto it = std::find_if(libraries.begin(), libraries.end(), [&](const LoadedLibrary& library) {
    return library.descriptor->type == type && name == library.descriptor->name;
  });
  return it == libraries.end() ? nullptr : &*it;
}

// Creates and configures one enabled plugin (missing_plugin and
// configure_failed say how a failure ends).
template <typename Plugin>
Status create_one(const std::vector<LoadedLibrary>& libraries,
                  const std::vector<std::string>& plugin_dirs, PluginType type,
                  const std::string& name, const PluginConfig& config, Sampler* sampler,
                  std::vector<PluginInstance<Plugin>>& out) {
  const std::string label = std::string(plugin_type_name(type)) + "." + name;
  const LoadedLibrary* library = find_library(libraries, type, name);
  if (!library) return missing_plugin(plugin_dirs, type, name, config);
  PluginInstance<Plugin> instance;
  instance.name = name;
  instance.library = library->library;
  instance.abi_minor = library->abi.minor;
  instance.host = std::make_unique<HostHandle>(label, sampler);
  if constexpr (std::is_same_v<Plugin, RuntimePlugin>) {
    instance.plugin.reset(library->descriptor->create_runtime());
  } else {
    instance.plugin.reset(library->descriptor->create_sink());
  }
  Status configured =
      instance.plugin ? guarded_call("configure",
                                     [&] {
                                       return instance.plugin->configure(config.options,
                                                                         *instance.host);
                                     })
                      : Status::error("the plugin's factory returned nothing");
  if (!configured) return configure_failed(configured, label, config);
  component_logger("plugins")->debug("{} ready", label);
  out.push_back(std::move(instance));
  return Status::ok();
}

}  // namespace

RuntimePlugin* PluginSet::native() const {
  for (const auto& runtime : runtimes) {
    if (runtime.plugin->handles_every_process()) return runtime.plugin.get();
  }
  return nullptr;
}

std::vector<LoadedLibrary> load_plugins_of(const Config& config) {
  auto logger = component_logger("plugins");
  const std::vector<std::string> directories = plugin_directories(config.plugin_dirs);
  // Every trusted plugin's trial first, side by side.
  std::vector<std::string> trusted;
  for (PluginType type : {PluginType::runtime, PluginType::sink}) {
    for (const auto& [name, table] : type == PluginType::runtime ? config.runtimes : config.sinks) {
      const std::string path = table.enabled ? find_plugin_file(directories, type, name) : "";
      if (!path.empty() && check_plugin_file_chain_trusted(path)) trusted.push_back(path);
    }
  }
  trial_load_plugins(trusted);
  std::vector<LoadedLibrary> libraries;
  for (PluginType type : {PluginType::runtime, PluginType::sink}) {
    for (const auto& [name, table] : type == PluginType::runtime ? config.runtimes : config.sinks) {
      if (!table.enabled) continue;
      const std::string path = find_plugin_file(directories, type, name);
      if (path.empty()) continue;  // missing_plugin says so
      LoadedLibrary library;
      if (Status loaded = load_enabled_plugin(path, type, name, library); !loaded) {
        logger->error("{}.{}: {}", plugin_type_name(type), name, loaded.message());
        continue;
      }
      logger->debug("loaded plugin {}.{} from {}", plugin_type_name(type), name, library.path);
      libraries.push_back(std::move(library));
    }
  }
  return libraries;
}

Status create_runtime_plugins(const std::vector<LoadedLibrary>& libraries, const Config& config,
                              Sampler* sampler, std::vector<PluginInstance<RuntimePlugin>>& out) {
  for (const auto& [name, plugin] : config.runtimes) {
    if (!plugin.enabled) continue;
    Status created = create_one(libraries, config.plugin_dirs, PluginType::runtime, name, plugin,
                                sampler, out);
    if (!created) return created;
  }
  return Status::ok();
}

Status create_sink_plugin(const std::vector<LoadedLibrary>& libraries,
                          const std::vector<std::string>& plugin_dirs, const std::string& name,
                          const PluginConfig& config,
                          std::vector<PluginInstance<SinkPlugin>>& out) {
  return create_one(libraries, plugin_dirs, PluginType::sink, name, config, nullptr, out);
}

Status create_plugins(const Config& config, Sampler* sampler, PluginSet& out) {
  std::vector<LoadedLibrary> libraries = load_plugins_of(config);
  Status runtimes = create_runtime_plugins(libraries, config, sampler, out.runtimes);
  if (!runtimes) return runtimes;
  for (const auto& [name, sink] : config.sinks) {
    if (!sink.enabled) continue;
    Status created = create_sink_plugin(libraries, config.plugin_dirs, name, sink, out.sinks);
    if (!created) return created;
  }
  return Status::ok();
}

Status check_plugin_tables(const Config& config) {
  std::vector<LoadedLibrary> libraries = load_plugins_of(config);
  for (PluginType type : {PluginType::runtime, PluginType::sink}) {
    for (const auto& [name, table] : type == PluginType::runtime ? config.runtimes : config.sinks) {
      if (!table.enabled) continue;
      const LoadedLibrary* library = find_library(libraries, type, name);
      Status checked = library ? check_options(*library->descriptor, table)
                               : missing_plugin(config.plugin_dirs, type, name, table);
      if (!checked) return checked;
    }
  }
  return Status::ok();
}

bool same_plugin_config(const PluginConfig& a, const PluginConfig& b) {
  if (a.enabled != b.enabled) return false;
  if (!a.enabled) return true;
  if (a.required != b.required || a.options.size() != b.options.size()) return false;
  if (a.queue_windows != b.queue_windows || a.queue_mb != b.queue_mb ||
      a.flush_timeout_seconds != b.flush_timeout_seconds)
    return false;
  for (const auto& [key, option] : a.options) {
    auto other = b.options.find(key);
    if (other == b.options.end() || !(other->second.value == option.value)) return false;
  }
  return true;
}

}  // namespace ember

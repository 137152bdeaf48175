#include "plugin_set.hpp"

#include <algorithm>

#include "guarded_call.hpp"
#include "logging.hpp"

namespace ember {
namespace {

const LoadedLibrary* find_library(const std::vector<LoadedLibrary>& libraries, PluginType type,
                                  const std::string& name) {
  auto it = std::find_if(libraries.begin(), libraries.end(), [&](const LoadedLibrary& library) {
    return library.descriptor->type == type && name == library.descriptor->name;
  });
  return it == libraries.end() ? nullptr : &*it;
}

template <typename Plugin>
Status create_one(const std::vector<LoadedLibrary>& libraries, PluginType type,
                  const std::string& section, const std::string& name, const PluginConfig& config,
                  Sampler* sampler, std::vector<PluginInstance<Plugin>>& out) {
  const std::string label = section + "." + name;
  const LoadedLibrary* library = find_library(libraries, type, name);
  if (!library) {
    return Status::error((config.where.empty() ? "" : config.where + ": ") + label +
                         ": enabled, but no plugin named '" + name +
                         "' was found in the plugin directories");
  }
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
  if (!instance.plugin) return Status::error(label + ": the plugin's factory returned nothing");
  Status configured = guarded_call(
      "configure", [&] { return instance.plugin->configure(config.options, *instance.host); });
  if (!configured) {
    // Plugins' messages usually name their section already ("sink.files: ...").
    const std::string& message = configured.message();
    return Status::error(message.find(label) != std::string::npos ? message
                                                                  : label + ": " + message);
  }
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
  std::vector<std::string> directories = plugin_directories(config.plugin_dirs);
  std::vector<std::string> errors;
  std::vector<LoadedLibrary> libraries = load_plugin_directories(directories, errors);
  for (const std::string& error : errors) logger->error("{}", error);
  for (const auto& library : libraries) {
    logger->debug("found plugin {} in {}", library.descriptor->name, library.path);
  }
  return libraries;
}

static Status handle_failure(const std::string& label, const PluginConfig& config, Status status) {
  if (status) {
    component_logger("plugins")->debug("{} ready", label);
    return Status::ok();
  }
  if (config.required) {
    return Status::error(status.message() + " (required plugin " + label +
                         ": not starting without it)");
  }
  component_logger("plugins")->error("{} (continuing without it)", status.message());
  return Status::ok();
}

Status create_runtime_plugins(const std::vector<LoadedLibrary>& libraries, const Config& config,
                              Sampler* sampler, std::vector<PluginInstance<RuntimePlugin>>& out) {
  for (const auto& [name, plugin] : config.runtimes) {
    if (!plugin.enabled) continue;
    Status created =
        create_one(libraries, PluginType::runtime, "runtime", name, plugin, sampler, out);
    if (Status handled = handle_failure("runtime." + name, plugin, created); !handled)
      return handled;
  }
  return Status::ok();
}

Status create_sink_plugin(const std::vector<LoadedLibrary>& libraries, const std::string& name,
                          const PluginConfig& config,
                          std::vector<PluginInstance<SinkPlugin>>& out) {
  Status created = create_one(libraries, PluginType::sink, "sink", name, config, nullptr, out);
  return handle_failure("sink." + name, config, created);
}

Status create_plugins(const Config& config, Sampler* sampler, PluginSet& out) {
  std::vector<LoadedLibrary> libraries = load_plugins_of(config);
  Status runtimes = create_runtime_plugins(libraries, config, sampler, out.runtimes);
  if (!runtimes) return runtimes;
  for (const auto& [name, sink] : config.sinks) {
    if (!sink.enabled) continue;
    if (Status created = create_sink_plugin(libraries, name, sink, out.sinks); !created)
      return created;
  }
  return Status::ok();
}

bool same_plugin_config(const PluginConfig& a, const PluginConfig& b) {
  if (a.enabled != b.enabled) return false;
  if (!a.enabled) return true;
  if (a.required != b.required || a.options.size() != b.options.size()) return false;
  for (const auto& [key, option] : a.options) {
    auto other = b.options.find(key);
    if (other == b.options.end() || !(other->second.value == option.value)) return false;
  }
  return true;
}

}  // namespace ember

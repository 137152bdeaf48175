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

template <typename Plugin>
Status create_section(const std::vector<LoadedLibrary>& libraries, PluginType type,
                      const std::string& section,
                      const std::map<std::string, PluginConfig>& configs, Sampler* sampler,
                      std::vector<PluginInstance<Plugin>>& out) {
  auto logger = component_logger("plugins");
  for (const auto& [name, config] : configs) {
    if (!config.enabled) continue;
    Status status = create_one(libraries, type, section, name, config, sampler, out);
    if (status) {
      logger->debug("{}.{} ready", section, name);
    } else if (config.required) {
      return Status::error(status.message() + " (required plugin " + section + "." + name +
                           ": not starting without it)");
    } else {
      logger->error("{} (continuing without it)", status.message());
    }
  }
  return Status::ok();
}

}  // namespace

RuntimePlugin* PluginSet::native() const {
  for (const auto& runtime : runtimes) {
    if (runtime.plugin->handles_every_process()) return runtime.plugin.get();
  }
  return nullptr;
}

Status create_plugins(const Config& config, Sampler* sampler, PluginSet& out) {
  auto logger = component_logger("plugins");
  std::vector<std::string> directories = config.plugin_dirs;
  if (directories.empty()) directories.push_back(default_plugin_directory());

  std::vector<std::string> errors;
  std::vector<LoadedLibrary> libraries = load_plugin_directories(directories, errors);
  for (const std::string& error : errors) logger->error("{}", error);
  for (const auto& library : libraries) {
    logger->debug("found plugin {} in {}", library.descriptor->name, library.path);
  }

  Status runtimes = create_section(libraries, PluginType::runtime, "runtime", config.runtimes,
                                   sampler, out.runtimes);
  if (!runtimes) return runtimes;
  return create_section(libraries, PluginType::sink, "sink", config.sinks, sampler, out.sinks);
}

}  // namespace ember

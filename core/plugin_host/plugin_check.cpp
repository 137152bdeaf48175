#include "plugin_check.hpp"

#include <memory>

#include "abi_check.hpp"
#include "check_host.hpp"
#include "ember/elf_file.hpp"
#include "guarded_call.hpp"
#include "plugin_file_trust.hpp"
#include "plugin_loader.hpp"

namespace ember {
namespace {

// The plugin's table in the config, or an empty one.
PluginConfig table_of(const Config& config, PluginType type, const std::string& name) {
  const auto& tables = type == PluginType::runtime ? config.runtimes : config.sinks;
  auto it = tables.find(name);
  return it == tables.end() ? PluginConfig{} : it->second;
}

void probe_binaries(RuntimePlugin& plugin, const std::vector<std::string>& paths,
                    PluginCheckReport& report) {
  for (const std::string& path : paths) {
    ElfFile elf;
    if (!ElfFile::open(path, elf)) {
      report.steps.push_back({"probe " + path, false, "not an ELF file this host can read"});
      continue;
    }
    BinaryRef binary{path, path, elf.build_id()};
    std::shared_ptr<const BinaryData> claimed;
    Status probed = guarded_call("probe", [&] {
      claimed = plugin.probe(binary);
      return Status::ok();
    });
    if (!probed) {
      report.steps.push_back({"probe " + path, false, probed.message()});
      continue;
    }
    report.steps.push_back({"probe " + path, true, claimed ? "claimed" : "not claimed"});
  }
}

}  // namespace

bool PluginCheckReport::ok() const {
  for (const auto& step : steps) {
    if (!step.ok) return false;
  }
  return true;
}

PluginCheckReport check_plugin(const PluginCheckRequest& request) {
  PluginCheckReport report;
  Status trusted = check_plugin_file_chain_trusted(request.path);
  report.steps.push_back({"file", static_cast<bool>(trusted),
                          trusted ? "the agent would load it (owner and mode)"
                                  : trusted.message()});

  // Its first load in a child, as the agent does it: a plugin that crashes
  // while loading fails this step instead of taking the check with it.
  LoadedLibrary library;
  Status loaded = trial_load_plugin(request.path, request.checker);
  if (loaded) loaded = load_plugin_library(request.path, library);
  if (!loaded) {
    report.steps.push_back({"abi", false, loaded.message()});
    return report;
  }
  report.steps.push_back({"abi", true,
                          "built for ABI " + std::to_string(library.abi.major) + "." +
                              std::to_string(library.abi.minor) + " (" +
                              abi_fingerprint_text(library.abi) + "); this ember is " +
                              std::to_string(kAbiMajor) + "." + std::to_string(kAbiMinor)});
  const PluginDescriptor& descriptor = *library.descriptor;
  const std::string section = std::string(plugin_type_name(descriptor.type)) + "." + descriptor.name;
  report.steps.push_back({"plugin", true, std::string(plugin_type_name(descriptor.type)) +
                                              " plugin '" + descriptor.name + "', configured by [" +
                                              section + "]"});

  CheckHost host(section);
  PluginConfig table = request.config ? table_of(*request.config, descriptor.type, descriptor.name)
                                      : PluginConfig{};
  std::unique_ptr<RuntimePlugin> runtime;
  std::unique_ptr<SinkPlugin> sink;
  Status configured = configure_new_plugin(descriptor, table.options, host, runtime, sink);
  std::string which = request.config ? "[" + section + "] of " + request.config->source
                                     : "an empty [" + section + "] (no --config)";
  if (configured) {
    report.steps.push_back({"config", true, which + ": accepted"});
  } else if (host.wanted_bpf()) {
    // Its options were read before it reached for the sampler's maps.
    report.steps.push_back({"config", true, which + ": options accepted; its BPF program is "
                                                    "loaded only by the agent (" +
                                                    configured.message() + ")"});
  } else {
    report.steps.push_back({"config", false, which + ": " + configured.message()});
  }

  if (!request.probe_paths.empty()) {
    if (!configured && !host.wanted_bpf()) {
      report.steps.push_back({"probe", false, "not run: the plugin is not configured"});
    } else if (!runtime) {
      report.steps.push_back({"probe", false, "only runtime plugins probe binaries"});
    } else {
      probe_binaries(*runtime, request.probe_paths, report);
    }
  }
  // The plugins go before their library (LoadedLibrary::library).
  runtime.reset();
  sink.reset();
  return report;
}

}  // namespace ember

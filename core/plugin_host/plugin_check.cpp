#include "plugin_check.hpp"

#include <memory>

#include "abi_check.hpp"
#include "ember/elf_file.hpp"
#include "guarded_call.hpp"
#include "host_handle.hpp"
#include "plugin_file_trust.hpp"
#include "plugin_loader.hpp"

namespace ember {
namespace {

// The agent's Host without a sampler, noting whether the plugin reached for
// BPF (then its configure fails for want of a sampler, not of a bad option).
class CheckHost final : public Host {
 public:
  explicit CheckHost(const std::string& section) : host_(section, nullptr) {}

  void log(LogLevel level, std::string_view message) override { host_.log(level, message); }
  std::string process_root(std::uint32_t pid) const override { return host_.process_root(pid); }
  bool read_memory(std::uint32_t pid, std::uint64_t address, void* buffer,
                   std::size_t size) override {
    return host_.read_memory(pid, address, buffer, size);
  }
  int bpf_map_fd(std::string_view map_name) const override {
    wanted_bpf_ = true;
    return host_.bpf_map_fd(map_name);
  }
  Status register_bpf_program(int program_fd, std::uint32_t& slot) override {
    wanted_bpf_ = true;
    return host_.register_bpf_program(program_fd, slot);
  }
  Status set_process_program(std::uint32_t pid, std::uint32_t slot) override {
    return host_.set_process_program(pid, slot);
  }
  Status set_process_flags(std::uint32_t pid, std::uint32_t flags, bool on) override {
    return host_.set_process_flags(pid, flags, on);
  }
  Status register_frame_kind(std::string_view kind, std::string_view color) override {
    return host_.register_frame_kind(kind, color);
  }
  bool unwind_rule(std::uint32_t pid, std::uint64_t pc, UnwindRule& rule) override {
    return host_.unwind_rule(pid, pc, rule);
  }

  bool wanted_bpf() const { return wanted_bpf_; }

 private:
  HostHandle host_;
  mutable bool wanted_bpf_ = false;
};

const char* type_name(PluginType type) { return type == PluginType::runtime ? "runtime" : "sink"; }

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
  Status trusted = check_plugin_path_trusted(request.path, "plugin");
  report.steps.push_back({"file", static_cast<bool>(trusted),
                          trusted ? "the agent would load it (owner and mode)"
                                  : trusted.message()});

  LoadedLibrary library;
  Status loaded = load_plugin_library(request.path, library);
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
  const std::string section = std::string(type_name(descriptor.type)) + "." + descriptor.name;
  report.steps.push_back({"plugin", true, std::string(type_name(descriptor.type)) +
                                              " plugin '" + descriptor.name + "', configured by [" +
                                              section + "]"});

  CheckHost host(section);
  PluginConfig table = request.config ? table_of(*request.config, descriptor.type, descriptor.name)
                                      : PluginConfig{};
  std::unique_ptr<RuntimePlugin> runtime;
  std::unique_ptr<SinkPlugin> sink;
  Status configured = guarded_call("configure", [&] {
    if (descriptor.type == PluginType::runtime) {
      runtime.reset(descriptor.create_runtime());
      if (!runtime) return Status::error("the plugin's factory returned nothing");
      return runtime->configure(table.options, host);
    }
    sink.reset(descriptor.create_sink());
    if (!sink) return Status::error("the plugin's factory returned nothing");
    return sink->configure(table.options, host);
  });
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

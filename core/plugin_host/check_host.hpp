// The agent's Host without a sampler, for asking a plugin whether it accepts
// its config table (`ember plugin check`, --check-config, and the agent's
// own check before it configures a plugin for real). It notes whether the
// plugin reached for BPF: a plugin reads its options first, so one that got
// that far has accepted them, and its configure fails for want of a sampler.
#pragma once

#include <memory>
#include <string>

#include "ember/plugin.hpp"
#include "guarded_call.hpp"
#include "host_handle.hpp"

namespace ember {

class CheckHost final : public Host {
 public:
  // A quiet host drops the plugin's log lines (the real configure logs them).
  explicit CheckHost(const std::string& section, bool quiet = false)
      : host_(section, nullptr), quiet_(quiet) {}

  void log(LogLevel level, std::string_view message) override {
    if (!quiet_) host_.log(level, message);
  }
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
  bool quiet_;
  mutable bool wanted_bpf_ = false;
};

// A new instance of the plugin (into `runtime` or `sink`, by its type),
// configured with `options` on `host`; exceptions become errors.
inline Status configure_new_plugin(const PluginDescriptor& descriptor, const Options& options,
                                   Host& host, std::unique_ptr<RuntimePlugin>& runtime,
                                   std::unique_ptr<SinkPlugin>& sink) {
  return guarded_call("configure", [&] {
    if (descriptor.type == PluginType::runtime) {
      runtime.reset(descriptor.create_runtime());
      if (!runtime) return Status::error("the plugin's factory returned nothing");
      return runtime->configure(options, host);
    }
    sink.reset(descriptor.create_sink());
    if (!sink) return Status::error("the plugin's factory returned nothing");
    return sink->configure(options, host);
  });
}

}  // namespace ember

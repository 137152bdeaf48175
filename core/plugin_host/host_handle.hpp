// The Host a plugin talks to: its own logger and the sampler's BPF seams.
#pragma once

#include <spdlog/logger.h>

#include <functional>
#include <memory>
#include <string>

#include "ember/host.hpp"

namespace ember {

class Sampler;

// Whether Host::bpf_map_fd hands out `map_name` (kSharedBpfMaps).
bool is_shared_bpf_map(std::string_view map_name);

class HostHandle final : public Host {
 public:
  // `sampler` may be null (no BPF: tests, offline tools).
  HostHandle(const std::string& plugin_section, Sampler* sampler);
  // Frees the plugin's ember_programs slot: destroyed after its plugin
  // (PluginInstance), while the sampler still runs (a reload toggling it).
  ~HostHandle() override;

  void log(LogLevel level, std::string_view message) override;
  std::string process_root(std::uint32_t pid) const override;
  bool read_memory(std::uint32_t pid, std::uint64_t address, void* buffer,
                   std::size_t size) override;
  int bpf_map_fd(std::string_view map_name) const override;
  Status register_bpf_program(int program_fd, std::uint32_t& slot) override;
  Status set_process_program(std::uint32_t pid, std::uint32_t slot) override;
  Status set_process_flags(std::uint32_t pid, std::uint32_t flags, bool on) override;
  bool unwind_rule(std::uint32_t pid, std::uint64_t pc, UnwindRule& rule) override;

  // Where unwind_rule's answers come from (the agent's process table); none
  // until set.
  using UnwindRuleSource = std::function<bool(std::uint32_t, std::uint64_t, UnwindRule&)>;
  void set_unwind_rule_source(UnwindRuleSource source) { unwind_rules_ = std::move(source); }
  // Into frame_kind_registry(), shared by all plugins.
  Status register_frame_kind(std::string_view kind, std::string_view color) override;

  // The ember_programs slot this plugin registered, 0 if none.
  std::uint32_t program_slot() const { return program_slot_; }

 private:
  std::shared_ptr<spdlog::logger> logger_;
  Sampler* sampler_;
  std::uint32_t program_slot_ = 0;
  UnwindRuleSource unwind_rules_;
};

}  // namespace ember

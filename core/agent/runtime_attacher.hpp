// Attaches runtime plugins to processes (steps 2 and 3 of the contract in
// ember/runtime_plugin.hpp): every distinct binary a process maps is probed
// once per plugin, the answers cached by file identity and build id; a
// process gets a handler from the native plugin and one from each plugin
// that claimed one of its binaries, then or later (mappings re-read when a
// sample runs code the host has not seen mapped).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "plugin_host/plugin_set.hpp"
#include "process/process_table.hpp"

namespace ember {

class RuntimeAttacher {
 public:
  explicit RuntimeAttacher(PluginSet& plugins);

  // Where refresh() takes the mappings of a process gone from /proc.
  void set_exec_images(ExecImageLookup lookup) { exec_images_ = std::move(lookup); }

  void attach(ProcessState& process);

  // Re-reads the process' mappings. When they changed: tells its handlers,
  // probes the executable file mappings it did not have with every probing
  // plugin, attaches those that claim one and are not attached yet, and asks
  // every handler for its code ranges again. When they did not, handlers
  // still setting up (ProcessState::setting_up) get on_mappings_changed all
  // the same: the agent calls this once a second for their processes.
  // Returns false when the maps cannot be read (the process is gone, and
  // what it mapped since its exec is not known either).
  bool refresh(ProcessState& process);

  // A sample of `process` ran code outside every mapping known of it (a
  // dlopen, JIT code): refresh(), at most once per kUnknownCodeInterval per
  // process. Returns whether the maps were read.
  static constexpr std::int64_t kUnknownCodeInterval = 200'000'000;  // ns
  bool refresh_for_unknown_code(ProcessState& process, std::int64_t now_ns);

  // The ABI minor from which plugins implement ProcessHandler::setting_up.
  static constexpr std::uint32_t kSettingUpMinor = 2;

  // True when some plugin probes binaries (an interpreter plugin is enabled).
  bool probes_binaries() const { return !probing_.empty(); }

  // Binaries probed so far (for logs and tests).
  std::size_t probed_binaries() const { return by_build_id_.size(); }

  // Whether a plugin claims the program `pid` runs: its /proc/PID/exe file,
  // known by device, inode and modification time from an earlier attach()
  // of a process running it.
  enum class Executable { claimed, not_claimed, unknown, gone };
  Executable executable_claimed(std::uint32_t pid) const;

 private:
  struct Claim {
    PluginInstance<RuntimePlugin>* runtime = nullptr;
    std::shared_ptr<const BinaryData> data;
  };
  using Claims = std::vector<Claim>;
  ExecImageLookup exec_images_;

  const Claims& probe(const ProcessState& process, const Mapping& mapping);
  // Attaches the plugins claiming one of `mappings` (executable files) that
  // have no handler for the process yet; returns their names.
  std::vector<std::string> attach_claimers(ProcessState& process, const ProcessRef& ref,
                                           const std::vector<const Mapping*>& mappings);
  void learn_executable(const ProcessState& process);
  // Sets process.setting_up from its handlers.
  static void note_setting_up(ProcessState& process);
  // on_mappings_changed for the handlers still setting up, maps unchanged.
  static void retry_setting_up(ProcessState& process);

  PluginSet& plugins_;
  std::vector<PluginInstance<RuntimePlugin>*> probing_;            // plugins that probe binaries
  std::unordered_map<std::string, std::string> build_id_of_file_;  // "dev:inode" → key
  std::unordered_map<std::string, Claims> by_build_id_;
  std::unordered_map<std::string, bool> executable_claimed_;  // exe identity → claimed
};

}  // namespace ember

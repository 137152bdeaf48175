// Attaches runtime plugins to processes (steps 2 and 3 of the contract in
// ember/runtime_plugin.hpp): every distinct binary a process maps is probed
// once per plugin, the answers cached by file identity and build id; a
// process gets a handler from the native plugin and from the first plugin
// that claimed one of its binaries.
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

  void attach(ProcessState& process);

  // Re-reads the process' mappings, tells its handlers, and probes the new
  // ones for an interpreter if it has none (a dynamic loader at work).
  void refresh(ProcessState& process);

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

  const Claims& probe(const ProcessState& process, const Mapping& mapping);
  void attach_interpreter(ProcessState& process, const ProcessRef& ref);
  void learn_executable(const ProcessState& process);

  PluginSet& plugins_;
  std::vector<PluginInstance<RuntimePlugin>*> probing_;            // plugins that probe binaries
  std::unordered_map<std::string, std::string> build_id_of_file_;  // "dev:inode" → key
  std::unordered_map<std::string, Claims> by_build_id_;
  std::unordered_map<std::string, bool> executable_claimed_;  // exe identity → claimed
};

}  // namespace ember

#include "run_programs.hpp"

#include "window_process_key.hpp"

namespace ember::formats {

RunPrograms::Keys RunPrograms::add(const Window& window) {
  Keys keys;
  keys.reserve(window.processes.size());
  for (const ProcessInfo& process : window.processes) {
    Names& pid = pids_[process.pid];
    const std::uint32_t slot = slot_of_name(pid.names, process.comm);
    if (process.instance == 0) pid.newest = slot;
    keys.emplace(window_process_key(process), window_process_key(process.pid, slot));
  }
  return keys;
}

std::uint32_t RunPrograms::key_of(const Keys& keys, const StackCount& sample) {
  auto key = keys.find(window_process_key(sample));
  return key != keys.end() ? key->second : sample.pid;
}

std::string_view RunPrograms::name(std::uint32_t run_key) const {
  auto pid = pids_.find(pid_of_key(run_key));
  const std::uint32_t slot = instance_of_key(run_key);
  if (pid == pids_.end() || slot >= pid->second.names.size()) return {};
  return pid->second.names[slot];
}

std::uint32_t RunPrograms::instance(std::uint32_t run_key) const {
  auto pid = pids_.find(pid_of_key(run_key));
  const std::uint32_t slot = instance_of_key(run_key);
  if (pid == pids_.end()) return slot;
  return instance_of_slot(slot, pid->second.newest);
}

}  // namespace ember::formats

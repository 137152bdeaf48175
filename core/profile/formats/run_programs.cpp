#include "run_programs.hpp"

#include <algorithm>

#include "window_process_key.hpp"

namespace ember::formats {

RunPrograms::Keys RunPrograms::add(const Window& window) {
  Keys keys;
  keys.reserve(window.processes.size());
  for (const ProcessInfo& process : window.processes) {
    Names& pid = pids_[process.pid];
    auto name = std::find(pid.names.begin(), pid.names.end(), process.comm);
    auto slot = static_cast<std::uint32_t>(name - pid.names.begin());
    if (name == pid.names.end()) pid.names.push_back(process.comm);
    slot = std::min(slot, kMaxProcessInstance);
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
  const std::uint32_t newest = pid->second.newest;
  return slot == newest ? 0 : slot < newest ? slot + 1 : slot;
}

}  // namespace ember::formats

// A window's process as one number: its pid, with its instance
// (ProcessInfo::instance: which of the programs that had the pid over a
// store read's range) above the pid's bits. Maps of a window's processes are
// keyed by it, so two processes that shared a pid stay apart.
#pragma once

#include <algorithm>
#include <cstdint>

#include "ember/window.hpp"

namespace ember {

// pid_max is at most 2^22 (PID_MAX_LIMIT on 64-bit Linux).
inline constexpr unsigned kProcessKeyPidBits = 22;
inline constexpr std::uint32_t kProcessKeyPidMask = (1u << kProcessKeyPidBits) - 1;
// Instances past this share it (more programs than that under one pid in one read).
inline constexpr std::uint32_t kMaxProcessInstance = (1u << (32 - kProcessKeyPidBits)) - 1;

inline std::uint32_t window_process_key(std::uint32_t pid, std::uint32_t instance) {
  return std::min(instance, kMaxProcessInstance) << kProcessKeyPidBits | (pid & kProcessKeyPidMask);
}
inline std::uint32_t window_process_key(const ProcessInfo& process) {
  return window_process_key(process.pid, process.instance);
}
inline std::uint32_t window_process_key(const StackCount& sample) {
  return window_process_key(sample.pid, sample.instance);
}
inline std::uint32_t pid_of_key(std::uint32_t key) { return key & kProcessKeyPidMask; }
inline std::uint32_t instance_of_key(std::uint32_t key) { return key >> kProcessKeyPidBits; }

// A pid's programs over a range take slots in the order their names came
// (a name's slot: slot_of_name). Shown as instances, the newest comes first:
// 0 for the slot `newest`, then the others in the order they came.
inline std::uint32_t instance_of_slot(std::uint32_t slot, std::uint32_t newest) {
  return slot == newest ? 0 : slot < newest ? slot + 1 : slot;
}

// The slot of `name` among a pid's `names` (in the order they came), added
// when new; past kMaxProcessInstance the names share the last slot.
template <typename Names, typename Name>
std::uint32_t slot_of_name(Names& names, const Name& name) {
  auto found = std::find(names.begin(), names.end(), name);
  const auto slot = static_cast<std::uint32_t>(found - names.begin());
  if (found == names.end()) names.emplace_back(name);
  return std::min(slot, kMaxProcessInstance);
}

// A ProcessInfo's or StackCount's pid and instance set from a key (a read
// that keyed its processes by their keys in `pid` turns them back so).
template <typename Process>
void set_pid_and_instance(Process& process, std::uint32_t key) {
  process.pid = pid_of_key(key);
  process.instance = instance_of_key(key);
}

}  // namespace ember

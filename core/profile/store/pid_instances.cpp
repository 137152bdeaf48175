#include "pid_instances.hpp"

#include <algorithm>
#include <functional>
#include <string>
#include <tuple>

#include "byte_codec.hpp"
#include "window_process_key.hpp"

namespace ember::store {
namespace {

std::uint32_t name_hash(std::string_view comm) {
  const std::size_t h = std::hash<std::string_view>()(comm);
  return static_cast<std::uint32_t>(h ^ (h >> 32));
}

// Rows of long-lived processes come back in every window: their keys are
// kept, up to this many.
constexpr std::size_t kRowKeysKept = 1 << 16;

}  // namespace

std::unordered_map<std::uint32_t, std::uint32_t> window_part_keys(
    const Window& window, const std::vector<std::int64_t>& row_ids) {
  std::unordered_map<std::uint32_t, std::uint32_t> part_keys;
  std::vector<std::uint32_t> pids;  // of a process other than instance 0
  for (const ProcessInfo& process : window.processes) {
    if (process.instance != 0) pids.push_back(process.pid);
  }
  for (std::uint32_t pid : pids) {
    std::vector<std::pair<std::int64_t, std::size_t>> rows;  // (row id, process)
    for (std::size_t i = 0; i < window.processes.size() && i < row_ids.size(); ++i) {
      if (window.processes[i].pid == pid) rows.emplace_back(row_ids[i], i);
    }
    std::sort(rows.begin(), rows.end());
    std::vector<std::string_view> names;  // the slots, by row id as a read meets them
    for (const auto& [row, i] : rows) {
      const ProcessInfo& process = window.processes[i];
      part_keys.emplace(window_process_key(process),
                        window_process_key(pid, slot_of_name(names, process.comm)));
    }
  }
  return part_keys;
}

PidInstances::PidInstances(Database& db, NewKey on_new_key)
    : row_(db.handle(), "SELECT pid, comm FROM processes WHERE id = ?1"),
      on_new_key_(std::move(on_new_key)) {}

std::uint32_t PidInstances::slot_of(std::uint32_t pid, std::string_view comm, bool& added) {
  const std::uint32_t hash = name_hash(comm);
  auto [it, inserted] = pids_.try_emplace(pid);
  Names& names = it->second;
  added = inserted;
  if (inserted) {
    names.first_name = hash;
    return 0;
  }
  if (names.first_name == hash) return 0;
  const std::uint64_t other = std::uint64_t{pid} << 32 | hash;
  auto [slot, new_slot] = other_names_.try_emplace(other, names.slots);
  if (new_slot) ++names.slots;
  added = new_slot && slot->second <= kMaxProcessInstance;
  return std::min(slot->second, kMaxProcessInstance);
}

std::uint32_t PidInstances::key_of_row_id(std::int64_t id) {
  if (auto known = row_keys_.find(id); known != row_keys_.end()) return known->second;
  row_.bind(1, id);
  if (!row_.step()) throw CorruptBlob("a window refers to a missing process row");
  const auto pid = static_cast<std::uint32_t>(row_.int64(0));
  const std::string comm = row_.text(1);
  row_.reset();
  bool added = false;
  const std::uint32_t key = window_process_key(pid, slot_of(pid, comm, added));
  if (added && on_new_key_) on_new_key_(key, comm);
  if (row_keys_.size() >= kRowKeysKept) row_keys_.clear();
  row_keys_.emplace(id, key);
  return key;
}

void PidInstances::map_part(const std::vector<std::int64_t>& process_ids) {
  part_first_.clear();
  part_more_.clear();
  for (std::int64_t id : process_ids) {
    const std::uint32_t key = key_of_row_id(id), pid = pid_of_key(key);
    pids_[pid].newest = instance_of_key(key);
    auto [first, added] = part_first_.try_emplace(pid, key);
    if (added || first->second == key) continue;
    std::uint32_t slot = 1;
    bool seen = false;
    for (const auto& [part_key, known] : part_more_) {
      if (pid_of_key(part_key) != pid) continue;
      if (known == key) seen = true;
      ++slot;
    }
    if (!seen) part_more_.emplace_back(window_process_key(pid, slot), key);
  }
}

std::uint32_t PidInstances::part_key_of(std::uint32_t key) const {
  const std::uint32_t pid = pid_of_key(key);
  if (auto first = part_first_.find(pid); first != part_first_.end() && first->second == key) {
    return pid;
  }
  for (const auto& [part_key, known] : part_more_) {
    if (known == key) return part_key;
  }
  return key;
}

void PidInstances::key_samples(WindowRefs& refs) {
  if (refs.samples.empty()) return;
  map_part(refs.process_ids);
  for (StoredSample& s : refs.samples) {
    if (instance_of_key(s.pid) == 0) {
      if (auto first = part_first_.find(s.pid); first != part_first_.end()) s.pid = first->second;
      continue;
    }
    for (const auto& [part_key, key] : part_more_) {
      if (part_key == s.pid) {
        s.pid = key;
        break;
      }
    }
  }
}

void PidInstances::to_part_keys(WindowRefs& refs) {
  if (other_names_.empty() || refs.samples.empty()) return;
  map_part(refs.process_ids);
  if (part_more_.empty()) return;
  for (StoredSample& s : refs.samples) s.pid = part_key_of(s.pid);
  std::sort(refs.samples.begin(), refs.samples.end(), [](const auto& a, const auto& b) {
    return std::tie(a.pid, a.tid, a.stack_id) < std::tie(b.pid, b.tid, b.stack_id);
  });
}

std::uint32_t PidInstances::key_of_row(std::uint32_t pid, std::string_view comm) {
  bool added = false;
  const std::uint32_t slot = slot_of(pid, comm, added);
  pids_[pid].newest = slot;
  return window_process_key(pid, slot);
}

std::uint32_t PidInstances::final_key(std::uint32_t key) const {
  if (other_names_.empty()) return key;
  const std::uint32_t pid = pid_of_key(key);
  auto names = pids_.find(pid);
  if (names == pids_.end() || names->second.slots == 1) return key;
  // The newest name first, then the others in the order they came.
  return window_process_key(pid, instance_of_slot(instance_of_key(key), names->second.newest));
}

}  // namespace ember::store

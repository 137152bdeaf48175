#include "window_programs.hpp"

#include <algorithm>
#include <unordered_set>
#include <utility>

#include "profile/formats/window_process_key.hpp"

namespace ember {

void WindowPrograms::keep(Program& program, const ProcessState& state) {
  if (!program.left) program.left = std::make_unique<ProcessInfo>(state.info);
}

std::uint32_t WindowPrograms::key_of(const ProcessState& program) {
  const std::uint32_t pid = program.info.pid;
  auto [it, added] = pids_.try_emplace(pid);
  Programs& programs = it->second;
  if (added) programs.first.serial = program.serial;
  Program* found = nullptr;
  std::uint32_t slot = 0;
  if (programs.first.serial == program.serial) {
    found = &programs.first;
  } else {
    for (std::size_t i = 0; i < programs.more.size() && !found; ++i) {
      if (programs.more[i].serial == program.serial) {
        found = &programs.more[i];
        slot = static_cast<std::uint32_t>(i + 1);
      }
    }
    if (!found) {
      programs.more.push_back(Program{program.serial, nullptr});
      found = &programs.more.back();
      slot = static_cast<std::uint32_t>(programs.more.size());
    }
  }
  // Named after its pid moved on (an exec while the sample waited): the
  // window's close would not find it in the table.
  if (program.left_table) keep(*found, program);
  return window_process_key(pid, slot);
}

void WindowPrograms::leaving(const ProcessState& program) {
  auto it = pids_.find(program.info.pid);
  if (it == pids_.end()) return;
  Programs& programs = it->second;
  if (programs.first.serial == program.serial) keep(programs.first, program);
  for (Program& other : programs.more) {
    if (other.serial == program.serial) keep(other, program);
  }
}

void WindowPrograms::fill(Window& window, ProcessTable& table) {
  std::unordered_map<std::uint32_t, std::uint32_t> instances;  // key -> instance, pids run twice
  // Grown once: under churn a window holds a thousand programs or more, and
  // grown by doubling the array was held twice over while it moved.
  std::size_t programs_count = window.processes.size();
  for (const auto& entry : pids_) programs_count += 1 + entry.second.more.size();
  window.processes.reserve(programs_count);
  for (const auto& [pid, programs] : pids_) {
    const ProcessState* current = table.find(pid);
    // Slots in the order the programs ran (the table's serials; samples are
    // named in that order too, but a late one may come).
    std::vector<std::pair<std::uint64_t, std::uint32_t>> ran{{programs.first.serial, 0}};
    for (std::size_t i = 0; i < programs.more.size(); ++i) {
      ran.emplace_back(programs.more[i].serial, static_cast<std::uint32_t>(i + 1));
    }
    std::sort(ran.begin(), ran.end());
    const std::size_t count = ran.size();
    for (std::size_t rank = 0; rank < count; ++rank) {
      const std::uint32_t slot = ran[rank].second;
      const Program& program = slot == 0 ? programs.first : programs.more[slot - 1];
      const std::uint32_t instance = rank + 1 == count ? 0 : static_cast<std::uint32_t>(rank + 1);
      if (count > 1) instances.emplace(window_process_key(pid, slot), instance);
      // Without a kept copy the program is the table's (or gone with a reload).
      const ProcessInfo* info = program.left ? program.left.get()
                                : current    ? &current->info
                                             : nullptr;
      if (!info) continue;
      window.processes.push_back(*info);
      window.processes.back().instance = instance;
    }
  }
  pids_.clear();
  if (instances.empty()) return;

  for (StackCount& sample : window.samples) {
    auto it = instances.find(sample.pid);
    if (it == instances.end()) continue;
    sample.pid = pid_of_key(sample.pid);
    sample.instance = it->second;
  }
  // Threads stay one per (pid, tid): the newest program's name wins.
  std::unordered_set<std::uint64_t> named;
  for (const ThreadInfo& thread : window.threads) {
    auto it = instances.find(thread.pid);
    if (it == instances.end() || it->second == 0) {
      named.insert(std::uint64_t{pid_of_key(thread.pid)} << 32 | thread.tid);
    }
  }
  std::erase_if(window.threads, [&](ThreadInfo& thread) {
    auto it = instances.find(thread.pid);
    if (it == instances.end() || it->second == 0) {
      thread.pid = pid_of_key(thread.pid);
      return false;
    }
    thread.pid = pid_of_key(thread.pid);
    return !named.insert(std::uint64_t{thread.pid} << 32 | thread.tid).second;
  });
}

}  // namespace ember

#include "focus.hpp"

#include <map>
#include <set>
#include <vector>

namespace ember::report {

Window focus_window(const Window& window, std::string_view function_name) {
  Window out;
  out.start_ns = window.start_ns;
  out.end_ns = window.end_ns;
  out.frequency_hz = window.frequency_hz;
  out.frames = window.frames;
  out.host = window.host;
  out.frame_kinds = window.frame_kinds;
  out.label_sets = window.label_sets;

  // Stack index -> its focused stack's index in out.stacks (or none).
  std::vector<std::int64_t> focused(window.stacks.size(), -2);  // -2: not yet cut
  std::map<std::vector<std::uint32_t>, std::uint32_t> ids;
  std::set<std::uint32_t> pids;
  std::set<std::pair<std::uint32_t, std::uint32_t>> threads;
  for (const StackCount& sample : window.samples) {
    if (sample.stack >= window.stacks.size()) continue;
    std::int64_t& id = focused[sample.stack];
    if (id == -2) {
      id = -1;
      const auto& stack = window.stacks[sample.stack];
      for (std::size_t i = 0; i < stack.size(); ++i) {
        if (stack[i] < window.frames.size() && window.frames[stack[i]].name == function_name) {
          std::vector<std::uint32_t> cut(stack.begin() + i, stack.end());
          auto [it, inserted] = ids.try_emplace(cut, static_cast<std::uint32_t>(out.stacks.size()));
          if (inserted) out.stacks.push_back(std::move(cut));
          id = it->second;
          break;
        }
      }
    }
    if (id < 0) continue;
    StackCount kept = sample;
    kept.stack = static_cast<std::uint32_t>(id);
    out.samples.push_back(kept);
    pids.insert(sample.pid);
    threads.insert({sample.pid, sample.tid});
  }
  for (const ProcessInfo& p : window.processes) {
    if (pids.count(p.pid)) out.processes.push_back(p);
  }
  for (const ThreadInfo& t : window.threads) {
    if (threads.count({t.pid, t.tid})) out.threads.push_back(t);
  }
  return out;
}

}  // namespace ember::report

#include "focus.hpp"

#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

#include "process_name.hpp"
#include "window_process_key.hpp"
#include "window_without_samples.hpp"

namespace ember::report {
namespace {

// The samples `keep` accepts whose stack `cut_of` cuts (the index of the
// frame the kept stack starts at; nullopt leaves the stack's samples out).
// cut_of is asked once per stack.
template <typename Keep, typename CutOf>
Window cut_window(const Window& window, Keep&& keep, CutOf&& cut_of) {
  Window out = window_without_samples(window, false);  // stacks: the cut ones

  // Stack index -> its cut stack's index in out.stacks (or none).
  std::vector<std::int64_t> cut(window.stacks.size(), -2);  // -2: not yet cut
  std::map<std::vector<std::uint32_t>, std::uint32_t> ids;
  std::set<std::uint32_t> processes;  // window_process_key
  std::set<std::pair<std::uint32_t, std::uint32_t>> threads;
  for (const StackCount& sample : window.samples) {
    if (sample.stack >= window.stacks.size() || !keep(sample)) continue;
    std::int64_t& id = cut[sample.stack];
    if (id == -2) {
      id = -1;
      const auto& stack = window.stacks[sample.stack];
      if (std::optional<std::size_t> at = cut_of(stack); at && *at <= stack.size()) {
        std::vector<std::uint32_t> kept(stack.begin() + static_cast<std::ptrdiff_t>(*at),
                                        stack.end());
        auto [it, inserted] = ids.try_emplace(kept, static_cast<std::uint32_t>(out.stacks.size()));
        if (inserted) out.stacks.push_back(std::move(kept));
        id = it->second;
      }
    }
    if (id < 0) continue;
    StackCount kept = sample;
    kept.stack = static_cast<std::uint32_t>(id);
    out.samples.push_back(kept);
    processes.insert(window_process_key(sample));
    threads.insert({sample.pid, sample.tid});
  }
  for (const ProcessInfo& p : window.processes) {
    if (processes.count(window_process_key(p))) out.processes.push_back(p);
  }
  for (const ThreadInfo& t : window.threads) {
    if (threads.count({t.pid, t.tid})) out.threads.push_back(t);
  }
  return out;
}

bool frame_named(const Window& window, std::uint32_t frame, std::string_view name) {
  return frame < window.frames.size() && window.frames[frame].name == name;
}

}  // namespace

Window focus_window(const Window& window, std::string_view function_name) {
  return cut_window(
      window, [](const StackCount&) { return true; },
      [&](const std::vector<std::uint32_t>& stack) -> std::optional<std::size_t> {
        for (std::size_t i = 0; i < stack.size(); ++i) {
          if (frame_named(window, stack[i], function_name)) return i;
        }
        return std::nullopt;
      });
}

Window zoom_window(const Window& window, const std::vector<std::string>& path) {
  if (path.empty()) return window;
  // As the flame graph names them, by window_process_key.
  std::unordered_map<std::uint32_t, std::string_view> comms;
  for (const ProcessInfo& p : window.processes) {
    if (!p.comm.empty()) comms[window_process_key(p)] = p.comm;
  }
  return cut_window(
      window,
      [&](const StackCount& sample) {
        auto comm = comms.find(window_process_key(sample));
        return comm != comms.end() ? comm->second == path.front()
                                   : formats::unnamed_process_name(sample.pid) == path.front();
      },
      [&](const std::vector<std::uint32_t>& stack) -> std::optional<std::size_t> {
        std::size_t frames = path.size() - 1;  // below the process
        if (stack.size() < frames) return std::nullopt;
        for (std::size_t i = 0; i < frames; ++i) {
          if (!frame_named(window, stack[i], path[i + 1])) return std::nullopt;
        }
        return frames == 0 ? 0 : frames - 1;
      });
}

}  // namespace ember::report

#include "runtime_view.hpp"

#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace ember::report {
namespace {

bool only(std::string_view text, std::string_view allowed) {
  return text.find_first_not_of(allowed) == std::string_view::npos;
}

// A bit per runtime kind, so a stack's runtimes are one small mask.
unsigned runtime_bit(std::string_view kind) {
  if (kind == frame_kind::python) return 1;
  if (kind == frame_kind::java) return 2;
  if (kind == frame_kind::node) return 4;
  return 0;
}

// "module+0x1a2b": what the native role names an address it has no symbol for.
bool unsymbolized(const Frame& frame) {
  std::string_view name = frame.name;
  return !frame.module.empty() && name.size() > frame.module.size() + 3 &&
         name.starts_with(frame.module) && name.substr(frame.module.size(), 3) == "+0x" &&
         only(name.substr(frame.module.size() + 3), "0123456789abcdefABCDEF");
}

}  // namespace

const char* runtime_of_object(std::string_view module) {
  module = module.substr(module.rfind('/') + 1);
  // libpython3.12.so.1.0; python3.11, python3, python2.7, python3.12d
  if (module.starts_with("libpython")) return frame_kind::python;
  if (module.starts_with("python") && only(module.substr(6), "0123456789.dmu")) {
    return frame_kind::python;
  }
  if (module == "libjvm.so") return frame_kind::java;
  if (module == "node" || module == "nodejs" || module.starts_with("libnode.so")) {
    return frame_kind::node;
  }
  return nullptr;
}

namespace {

// Per frame: the runtime bit of its kind (a runtime frame), the runtime whose
// internal it is (a native frame of that runtime's objects), and whether it is
// an unsymbolized address.
struct FrameRoles {
  std::vector<unsigned> runtime_frame, internal_of;
  std::vector<bool> unnamed;
  bool any = false;  // an internal or an unnamed frame: the view changes something
};

FrameRoles roles_of(const Window& window) {
  FrameRoles roles;
  const std::size_t frames = window.frames.size();
  roles.runtime_frame.resize(frames);
  roles.internal_of.resize(frames);
  roles.unnamed.resize(frames);
  for (std::size_t i = 0; i < frames; ++i) {
    const Frame& frame = window.frames[i];
    roles.runtime_frame[i] = runtime_bit(frame.kind);
    if (frame.kind == frame_kind::native) {
      if (const char* runtime = runtime_of_object(frame.module)) {
        roles.internal_of[i] = runtime_bit(runtime);
      }
    }
    roles.unnamed[i] = unsymbolized(frame);
    roles.any = roles.any || roles.internal_of[i] || roles.unnamed[i];
  }
  return roles;
}

struct StackHash {
  std::size_t operator()(const std::vector<std::uint32_t>& stack) const {
    std::size_t h = stack.size();
    for (std::uint32_t f : stack) h = h * 0x9e3779b97f4a7c15ULL + f;
    return h;
  }
};

}  // namespace

bool runtime_view_changes(const Window& window) { return roles_of(window).any; }

std::uint64_t runtime_view_changed_samples(const Window& window) {
  const FrameRoles roles = roles_of(window);
  if (!roles.any) return 0;
  const std::size_t frames = window.frames.size();
  // runtime_view changes a stack where a frame folds or an unsymbolized one
  // becomes its module's [no symbols] frame: -1 not looked at yet, else 0/1.
  std::vector<signed char> changed(window.stacks.size(), -1);
  std::uint64_t samples = 0;
  for (const StackCount& sample : window.samples) {
    if (sample.stack >= window.stacks.size()) continue;
    signed char& is = changed[sample.stack];
    if (is < 0) {
      const auto& stack = window.stacks[sample.stack];
      unsigned runtimes = 0;
      for (std::uint32_t f : stack) runtimes |= f < frames ? roles.runtime_frame[f] : 0;
      bool past_first_runtime_frame = false;
      is = 0;
      for (std::uint32_t f : stack) {
        if (f >= frames) continue;
        if (roles.runtime_frame[f]) past_first_runtime_frame = true;
        if (roles.unnamed[f] || (past_first_runtime_frame && (roles.internal_of[f] & runtimes))) {
          is = 1;
          break;
        }
      }
    }
    if (is) samples += sample.count;
  }
  return samples;
}

namespace {

// The view's stacks by content, as indices into the view's own stacks: each
// stack is held once, not again as a key.
struct ViewStackHash {
  const std::vector<std::vector<std::uint32_t>>* stacks;
  std::size_t operator()(std::uint32_t id) const { return StackHash()((*stacks)[id]); }
};
struct ViewStackEqual {
  const std::vector<std::vector<std::uint32_t>>* stacks;
  bool operator()(std::uint32_t a, std::uint32_t b) const { return (*stacks)[a] == (*stacks)[b]; }
};

// The frame each frame of `frames` shows as (itself, or its module's
// [no symbols] frame, numbered from frames.size() on) and those grouped frames.
std::vector<Frame> group_unnamed(const std::vector<Frame>& frames, const FrameRoles& roles,
                                 std::vector<std::uint32_t>& shown_as) {
  std::vector<Frame> grouped;
  shown_as.resize(frames.size());
  std::map<std::pair<std::string, std::string>, std::uint32_t> no_symbols;  // (module, kind)
  for (std::size_t i = 0; i < frames.size(); ++i) {
    shown_as[i] = static_cast<std::uint32_t>(i);
    if (!roles.unnamed[i]) continue;
    const Frame& frame = frames[i];
    auto [it, added] = no_symbols.try_emplace(
        std::make_pair(frame.module, frame.kind),
        static_cast<std::uint32_t>(frames.size() + grouped.size()));
    if (added) {
      Frame& group = grouped.emplace_back();
      group.name = frame.module + " [no symbols]";
      group.module = frame.module;
      group.kind = frame.kind;
    }
    shown_as[i] = it->second;
  }
  return grouped;
}

// The view's stacks and samples into `out` (whose frames are the input's,
// then the grouped ones), from the input's; returns the samples changed.
// With `owned` (the input's stacks, the view's to take), each stack's vector
// becomes its view's: a big window is not held twice while it is viewed.
std::uint64_t view_stacks(const FrameRoles& roles, const std::vector<std::uint32_t>& shown_as,
                          const std::vector<std::vector<std::uint32_t>>& stacks,
                          std::vector<std::vector<std::uint32_t>>* owned,
                          const std::vector<StackCount>& samples, Window& out) {
  const std::size_t frames = shown_as.size();
  std::uint64_t changed_samples = 0;
  out.samples.reserve(samples.size());
  // Stack index -> its view's index in out.stacks, computed once per stack.
  std::vector<std::int64_t> viewed(stacks.size(), -1);
  std::vector<bool> changed(stacks.size());
  std::unordered_set<std::uint32_t, ViewStackHash, ViewStackEqual> ids(
      0, ViewStackHash{&out.stacks}, ViewStackEqual{&out.stacks});
  std::vector<std::uint32_t> cut;
  for (const StackCount& sample : samples) {
    if (sample.stack >= stacks.size()) continue;
    std::int64_t& id = viewed[sample.stack];
    if (id < 0) {
      const auto& stack = stacks[sample.stack];
      unsigned runtimes = 0;
      for (std::uint32_t f : stack) runtimes |= f < frames ? roles.runtime_frame[f] : 0;
      cut.clear();
      bool past_first_runtime_frame = false;
      for (std::uint32_t f : stack) {
        if (f >= frames) {
          cut.push_back(f);
          continue;
        }
        if (roles.runtime_frame[f]) past_first_runtime_frame = true;
        if (past_first_runtime_frame && (roles.internal_of[f] & runtimes)) continue;  // folds
        // A run of one module's unnamed frames reads as one frame.
        if (shown_as[f] != f && !cut.empty() && cut.back() == shown_as[f]) continue;
        cut.push_back(shown_as[f]);
      }
      changed[sample.stack] = cut != stack;
      if (owned) {
        std::vector<std::uint32_t>& taken = (*owned)[sample.stack];  // `stack`, read no more
        if (changed[sample.stack]) taken.assign(cut.begin(), cut.end());
        out.stacks.push_back(std::move(taken));
      } else {
        out.stacks.push_back(cut);
      }
      auto [it, added] = ids.insert(static_cast<std::uint32_t>(out.stacks.size() - 1));
      if (!added) out.stacks.pop_back();  // the same view as an earlier stack's
      id = *it;
    }
    StackCount kept = sample;
    kept.stack = static_cast<std::uint32_t>(id);
    out.samples.push_back(kept);
    if (changed[sample.stack]) changed_samples += sample.count;
  }
  return changed_samples;
}

// The frames the view's stacks name, in order (the input's `input_count`,
// taken by `take(i)`, then the grouped ones), the stacks renumbered to them:
// a runtime's folded internals are in no stack of the view (in a Python
// service's window, most of its native frames), and a view of a kept window
// would otherwise copy every one. An index past the input's frames stays
// past the view's. Grown once, to its size.
template <typename Take>
std::vector<Frame> shown_frames(std::vector<std::vector<std::uint32_t>>& stacks,
                                std::size_t input_count, std::vector<Frame>& grouped, Take take) {
  constexpr std::uint32_t kNotShown = UINT32_MAX;
  const std::size_t total = input_count + grouped.size();
  std::vector<std::uint32_t> renumbered(total, kNotShown);
  for (const auto& stack : stacks) {
    for (std::uint32_t f : stack) {
      if (f < total) renumbered[f] = 0;
    }
  }
  std::uint32_t shown = 0;
  for (std::uint32_t& number : renumbered) {
    if (number != kNotShown) number = shown++;
  }
  std::vector<Frame> frames;
  frames.reserve(shown);
  for (std::size_t i = 0; i < total; ++i) {
    if (renumbered[i] == kNotShown) continue;
    frames.push_back(i < input_count ? take(i) : std::move(grouped[i - input_count]));
  }
  for (auto& stack : stacks) {
    for (std::uint32_t& f : stack) {
      if (f < total) f = renumbered[f];
    }
  }
  return frames;
}

}  // namespace

RuntimeView runtime_view(Window window) {
  RuntimeView view;
  const FrameRoles roles = roles_of(window);
  if (!roles.any) {
    view.window = std::move(window);
    return view;
  }
  Window& out = view.window;
  std::vector<std::vector<std::uint32_t>> stacks = std::move(window.stacks);
  std::vector<StackCount> samples = std::move(window.samples);
  out = std::move(window);
  out.stacks.clear();
  out.samples.clear();
  std::vector<std::uint32_t> shown_as;
  std::vector<Frame> grouped = group_unnamed(out.frames, roles, shown_as);
  view.changed_samples = view_stacks(roles, shown_as, stacks, &stacks, samples, out);
  std::vector<Frame> frames = std::move(out.frames);
  out.frames = shown_frames(out.stacks, frames.size(), grouped,
                            [&](std::size_t i) { return std::move(frames[i]); });
  return view;
}

RuntimeView runtime_view_of(const Window& window) {
  RuntimeView view;
  const FrameRoles roles = roles_of(window);
  if (!roles.any) {
    view.window = window;
    return view;
  }
  // Every field but frames, stacks and samples as they are: a field added to
  // Window must be copied here too.
  static_assert(sizeof(Window) == 4 * sizeof(std::int64_t) + 9 * sizeof(std::vector<int>) +
                                      sizeof(std::string),
                "Window has a new field: copy it into the view");
  Window& out = view.window;
  out.start_ns = window.start_ns;
  out.end_ns = window.end_ns;
  out.frequency_hz = window.frequency_hz;
  out.processes = window.processes;
  out.threads = window.threads;
  out.lost_samples = window.lost_samples;
  out.host = window.host;
  out.host_metrics = window.host_metrics;
  out.process_metrics = window.process_metrics;
  out.frame_kinds = window.frame_kinds;
  out.label_sets = window.label_sets;
  std::vector<std::uint32_t> shown_as;
  std::vector<Frame> grouped = group_unnamed(window.frames, roles, shown_as);
  view.changed_samples = view_stacks(roles, shown_as, window.stacks, nullptr, window.samples, out);
  out.frames = shown_frames(out.stacks, window.frames.size(), grouped,
                            [&](std::size_t i) { return window.frames[i]; });
  return view;
}

}  // namespace ember::report

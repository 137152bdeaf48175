#include "frame_kind_registry.hpp"

#include <algorithm>
#include <cctype>
#include <set>

namespace ember {

FrameKindRegistry::FrameKindRegistry() {
  for (const BuiltinFrameKind& builtin : kBuiltinFrameKinds) {
    colors_.emplace(builtin.kind, builtin.color);
  }
}

Status FrameKindRegistry::register_kind(std::string_view kind, std::string_view color) {
  if (!is_valid_frame_kind_name(kind)) {
    return Status::error("frame kind '" + std::string(kind) +
                         "' is not a kind name: use 1 to 32 characters of a-z, 0-9 and _");
  }
  if (!is_valid_frame_kind_color(color)) {
    return Status::error("frame kind '" + std::string(kind) + "': color '" + std::string(color) +
                         "' is not of the form #rrggbb");
  }
  std::string lower(color);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::lock_guard lock(mutex_);
  auto [it, inserted] = colors_.try_emplace(std::string(kind), lower);
  if (!inserted && it->second != lower) {
    return Status::error("frame kind '" + std::string(kind) + "' is " +
                         (builtin_frame_kind_color(kind) ? "built in" : "already registered") +
                         " with color " + it->second + ", not " + lower);
  }
  return Status::ok();
}

void FrameKindRegistry::describe(Window& window) const {
  std::set<std::string_view> kinds;
  for (const Frame& frame : window.frames) kinds.insert(frame.kind);
  window.frame_kinds.clear();
  std::lock_guard lock(mutex_);
  for (std::string_view kind : kinds) {
    auto it = colors_.find(kind);
    if (it != colors_.end()) window.frame_kinds.push_back(FrameKindColor{it->first, it->second});
  }
}

FrameKindRegistry& frame_kind_registry() {
  static FrameKindRegistry registry;
  return registry;
}

}  // namespace ember

// The frame kinds the agent knows, with their display colors: the built-in
// ones, and those runtime plugins register through Host::register_frame_kind.
// Closed windows carry the colors of the kinds their frames use.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "ember/status.hpp"
#include "ember/window.hpp"

namespace ember {

class FrameKindRegistry {
 public:
  FrameKindRegistry();

  // Refuses a malformed name or color, a built-in kind with another color
  // than its own, and a kind already registered with another color (the
  // first registration stands until the agent restarts).
  Status register_kind(std::string_view kind, std::string_view color);

  // The kinds of window.frames, with their colors, into window.frame_kinds
  // (sorted by name). Kinds nobody registered are left out.
  void describe(Window& window) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::string, std::less<>> colors_;  // kind -> "#rrggbb"
};

// The agent's registry, shared by every plugin's host handle.
FrameKindRegistry& frame_kind_registry();

}  // namespace ember

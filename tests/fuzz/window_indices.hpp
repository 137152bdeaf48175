// What every reader that makes a Window from outside bytes must hold: each
// sample's stack and each stack's frames index into the window.
#pragma once

#include "ember/window.hpp"

inline void trap_unless_indices_hold(const ember::Window& window) {
  for (const ember::StackCount& sample : window.samples) {
    if (sample.stack >= window.stacks.size()) __builtin_trap();
  }
  for (const auto& stack : window.stacks) {
    for (std::uint32_t frame : stack) {
      if (frame >= window.frames.size()) __builtin_trap();
    }
  }
}

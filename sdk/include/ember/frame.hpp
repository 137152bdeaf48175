// A named frame of a call stack, whatever language it belongs to.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "ember/frame_kind.hpp"

namespace ember {

struct Frame {
  std::string name;     // function, demangled; "module+0x1a2b" style when unknown
  std::string module;   // file name of the ELF object / script / class file
  std::string file;     // source file, when known
  std::uint32_t line = 0;
  std::string kind = frame_kind::native;  // a built-in or registered kind (frame_kind.hpp)
  bool inlined = false;

  bool operator==(const Frame&) const = default;
};

// Plugins cache and return frames by handle; the host keeps a frame alive for
// as long as a window refers to it, so plugins may drop their caches anytime.
using FrameHandle = std::shared_ptr<const Frame>;

}  // namespace ember

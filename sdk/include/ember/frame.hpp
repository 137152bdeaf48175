// A named frame of a call stack, whatever language it belongs to.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace ember {

// The language a frame belongs to: the UI colors by it. Append only.
enum class FrameKind : std::uint8_t {
  native = 0,   // C, C++, Rust, ... compiled code symbolized from ELF
  kernel = 1,
  python = 2,
  java = 3,
  node = 4,
  go = 5,
  unknown = 6,  // a marker such as [truncated]
};

std::string_view to_string(FrameKind kind);

struct Frame {
  std::string name;     // function, demangled; "module+0x1a2b" style when unknown
  std::string module;   // file name of the ELF object / script / class file
  std::string file;     // source file, when known
  std::uint32_t line = 0;
  FrameKind kind = FrameKind::native;
  bool inlined = false;

  bool operator==(const Frame&) const = default;
};

// Plugins cache and return frames by handle; the host keeps a frame alive for
// as long as a window refers to it, so plugins may drop their caches anytime.
using FrameHandle = std::shared_ptr<const Frame>;

inline std::string_view to_string(FrameKind kind) {
  switch (kind) {
    case FrameKind::native: return "native";
    case FrameKind::kernel: return "kernel";
    case FrameKind::python: return "python";
    case FrameKind::java: return "java";
    case FrameKind::node: return "node";
    case FrameKind::go: return "go";
    case FrameKind::unknown: break;
  }
  return "unknown";
}

}  // namespace ember

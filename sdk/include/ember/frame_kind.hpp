// Frame kinds: the language a frame belongs to, by name ("native", "python",
// "toyvm"). The UI and the flame graphs color frames by kind. The built-in
// kinds below are always known; a runtime plugin for another language
// registers its own with Host::register_frame_kind and a display color.
#pragma once

#include <cstddef>
#include <iterator>
#include <string>
#include <string_view>

namespace ember {

// The built-in kinds. Use these names rather than string literals: a typo
// then fails to compile.
namespace frame_kind {
inline constexpr const char* native = "native";  // compiled code symbolized from ELF
inline constexpr const char* kernel = "kernel";
inline constexpr const char* python = "python";
inline constexpr const char* java = "java";
inline constexpr const char* node = "node";
inline constexpr const char* go = "go";
inline constexpr const char* unknown = "unknown";  // a marker such as [truncated]
}  // namespace frame_kind

// A kind and its display color, "#rrggbb" (lowercase hex).
struct FrameKindColor {
  std::string kind;
  std::string color;

  bool operator==(const FrameKindColor&) const = default;
};

struct BuiltinFrameKind {
  const char* kind;
  const char* color;
};

// The built-in kinds and their colors, in the order of the enum they were
// before kinds had names (stores written then number them so).
inline constexpr BuiltinFrameKind kBuiltinFrameKinds[] = {
    {frame_kind::native, "#f08242"}, {frame_kind::kernel, "#6199d1"},
    {frame_kind::python, "#f5dc3d"}, {frame_kind::java, "#74d161"},
    {frame_kind::node, "#aa66cc"},   {frame_kind::go, "#57dbdb"},
    {frame_kind::unknown, "#c7c7c7"},
};

// The position of a built-in kind in kBuiltinFrameKinds; its size for any
// other name (so built-ins sort first, in their former order).
inline std::size_t builtin_frame_kind_index(std::string_view kind) {
  std::size_t i = 0;
  for (; i < std::size(kBuiltinFrameKinds); ++i) {
    if (kind == kBuiltinFrameKinds[i].kind) break;
  }
  return i;
}

// The color of a built-in kind, or nullptr for any other name.
inline const char* builtin_frame_kind_color(std::string_view kind) {
  std::size_t i = builtin_frame_kind_index(kind);
  return i < std::size(kBuiltinFrameKinds) ? kBuiltinFrameKinds[i].color : nullptr;
}

// A kind's name: 1 to 32 characters of [a-z0-9_].
inline bool is_valid_frame_kind_name(std::string_view name) {
  if (name.empty() || name.size() > 32) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

// A display color: "#rrggbb", hex digits in either case.
inline bool is_valid_frame_kind_color(std::string_view color) {
  if (color.size() != 7 || color[0] != '#') return false;
  for (char c : color.substr(1)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

}  // namespace ember

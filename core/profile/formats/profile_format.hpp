// The four profile formats by name and by file extension, and rendering a
// window in one of them: the files sink, `ember record --output` and `ember
// report` accept the same names and extensions and write the same bytes.
#pragma once

#include <string>
#include <string_view>

#include "ember/window.hpp"

namespace ember::formats {

enum class ProfileFormat { folded, speedscope, pprof, svg };

// "folded" (or "collapsed"), "speedscope", "pprof", "svg".
bool profile_format_of_name(std::string_view name, ProfileFormat& out);
inline constexpr std::string_view kProfileFormatNames =
    "folded (or collapsed), speedscope, pprof, svg";

// .folded/.collapsed, .speedscope.json/.json, .pb.gz/.pprof, .svg.
bool profile_format_of_path(std::string_view path, ProfileFormat& out);
inline constexpr std::string_view kProfileExtensions =
    ".folded or .collapsed (collapsed stacks), .speedscope.json or .json (speedscope), .pb.gz or "
    ".pprof (pprof), .svg (flame graph)";

// The extension files of that format get: .folded, .speedscope.json, .pb.gz, .svg.
std::string_view extension_of(ProfileFormat format);

struct RenderOptions {
  std::string name;            // speedscope's name, the SVG's title
  bool thread_frames = false;  // folded: a "<thread>/<tid>" frame under the process
  bool flame = false;          // svg: root at the bottom; default icicle (root on top)
};

// Throws std::runtime_error if zlib fails (pprof).
std::string render_profile(ProfileFormat format, const Window& window,
                           const RenderOptions& options = {});

}  // namespace ember::formats

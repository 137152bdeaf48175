#include "profile_format.hpp"

#include "collapsed_writer.hpp"
#include "pprof_writer.hpp"
#include "speedscope_writer.hpp"
#include "svg_flamegraph.hpp"

namespace ember::formats {

bool profile_format_of_name(std::string_view name, ProfileFormat& out) {
  if (name == "folded" || name == "collapsed") {
    out = ProfileFormat::folded;
  } else if (name == "speedscope") {
    out = ProfileFormat::speedscope;
  } else if (name == "pprof") {
    out = ProfileFormat::pprof;
  } else if (name == "svg") {
    out = ProfileFormat::svg;
  } else {
    return false;
  }
  return true;
}

bool profile_format_of_path(std::string_view path, ProfileFormat& out) {
  auto ends_with = [&](std::string_view suffix) {
    return path.size() > suffix.size() && path.substr(path.size() - suffix.size()) == suffix;
  };
  if (ends_with(".folded") || ends_with(".collapsed")) {
    out = ProfileFormat::folded;
  } else if (ends_with(".json")) {  // also .speedscope.json
    out = ProfileFormat::speedscope;
  } else if (ends_with(".pb.gz") || ends_with(".pprof")) {
    out = ProfileFormat::pprof;
  } else if (ends_with(".svg")) {
    out = ProfileFormat::svg;
  } else {
    return false;
  }
  return true;
}

std::string_view extension_of(ProfileFormat format) {
  switch (format) {
    case ProfileFormat::folded:
      return ".folded";
    case ProfileFormat::speedscope:
      return ".speedscope.json";
    case ProfileFormat::pprof:
      return ".pb.gz";
    case ProfileFormat::svg:
      return ".svg";
  }
  return ".folded";
}

std::string render_profile(ProfileFormat format, const Window& window,
                           const RenderOptions& options) {
  switch (format) {
    case ProfileFormat::folded:
      return collapsed_text(window, CollapsedOptions{options.thread_frames});
    case ProfileFormat::speedscope:
      return speedscope_json(window, SpeedscopeOptions{options.name});
    case ProfileFormat::pprof:
      return pprof_gzip(window);
    case ProfileFormat::svg:
      return svg_flamegraph(window, SvgOptions{options.name, 1200, options.flame});
  }
  return {};
}

}  // namespace ember::formats

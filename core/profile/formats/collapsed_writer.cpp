#include "collapsed_writer.hpp"

#include "collapsed_lines.hpp"

namespace ember::formats {

std::string collapsed_name(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    auto u = static_cast<unsigned char>(c);
    if (c == ';' || u < 0x20 || u == 0x7f) c = '_';
  }
  return out;
}

std::string collapsed_frame(const Frame& frame) {
  std::string text = collapsed_name(frame.name.empty() ? std::string_view("[unknown]") : frame.name);
  if (frame.kind == frame_kind::kernel) text += "_[k]";
  if (frame.inlined) text += "_[i]";
  return text;
}

std::string collapsed_text(const Window& window, const CollapsedOptions& options) {
  CollapsedLines lines(options);
  lines.add(window);
  return lines.text();
}

}  // namespace ember::formats

#include "folded_reader.hpp"

#include <charconv>
#include <string>

#include "window_builder.hpp"

namespace ember::formats {
namespace {

Frame frame_of(std::string_view text) {
  Frame frame;
  frame.kind = frame_kind::native;
  if (text.ends_with("_[i]")) {
    frame.inlined = true;
    text.remove_suffix(4);
  }
  if (text.ends_with("_[k]")) {
    frame.kind = frame_kind::kernel;
    text.remove_suffix(4);
  }
  frame.name = std::string(text.empty() ? "[unknown]" : text);
  return frame;
}

}  // namespace

Status read_collapsed(std::string_view text, Window& out) {
  WindowBuilder builder;
  std::size_t line_number = 0;
  std::vector<std::uint32_t> frames;
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    ++line_number;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty()) continue;
    std::size_t space = line.rfind(' ');
    std::uint64_t count = 0;
    std::string_view digits = space == std::string_view::npos ? "" : line.substr(space + 1);
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), count);
    if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size()) {
      return Status::error("folded line " + std::to_string(line_number) +
                           ": expected 'frame;frame;... COUNT' with a whole-number count, got '" +
                           std::string(line.substr(0, 120)) + "'");
    }
    std::string_view stack = line.substr(0, space);
    frames.clear();
    while (true) {
      std::size_t semi = stack.find(';');
      frames.push_back(builder.frame(frame_of(stack.substr(0, semi))));
      if (semi == std::string_view::npos) break;
      stack.remove_prefix(semi + 1);
    }
    builder.add(frames, count);
  }
  out = std::move(builder.window());
  return Status::ok();
}

}  // namespace ember::formats

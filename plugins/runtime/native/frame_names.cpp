#include "frame_names.hpp"

#include <cstdio>

namespace ember::native {

std::string_view base_name(std::string_view path) {
  std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string hex(std::uint64_t value) {
  char buffer[24];
  std::snprintf(buffer, sizeof buffer, "0x%llx", static_cast<unsigned long long>(value));
  return buffer;
}

std::string hex(const std::uint8_t* bytes, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out.push_back(kDigits[bytes[i] >> 4]);
    out.push_back(kDigits[bytes[i] & 0xf]);
  }
  return out;
}

FrameHandle offset_frame(std::string_view module, std::uint64_t offset, std::string kind) {
  return named_frame(std::string(module) + "+" + hex(offset), module, kind);
}

FrameHandle named_frame(std::string name, std::string_view module, std::string kind) {
  auto frame = std::make_shared<Frame>();
  frame->name = std::move(name);
  frame->module = std::string(module);
  frame->kind = std::move(kind);
  return frame;
}

ChainHandle single_frame(FrameHandle frame) {
  return std::make_shared<const FrameChain>(FrameChain{std::move(frame)});
}

}  // namespace ember::native

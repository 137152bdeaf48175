#include "compressed_stream.hpp"

namespace ember::jvm {

bool read_unsigned5(std::span<const unsigned char> bytes, std::size_t& at, std::uint32_t& out) {
  constexpr std::uint32_t kL = 192;
  std::uint32_t sum = 0;
  for (int i = 0, shift = 0; i < 5; ++i, shift += 6) {
    if (at >= bytes.size()) return false;
    std::uint32_t b = bytes[at++];
    sum += b << shift;
    if (b < kL || i == 4) {
      out = sum;
      return true;
    }
  }
  return false;
}

bool read_signed5(std::span<const unsigned char> bytes, std::size_t& at, std::int32_t& out) {
  std::uint32_t encoded = 0;
  if (!read_unsigned5(bytes, at, encoded)) return false;
  out = static_cast<std::int32_t>((encoded >> 1) ^ (0u - (encoded & 1)));
  return true;
}

}  // namespace ember::jvm

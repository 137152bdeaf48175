// HotSpot's CompressedStream numbers (JDK 17): UNSIGNED5, 1 to 5 bytes of
// base 64 digits, bytes 192 and up meaning another byte follows (lg_H = 6,
// L = 192), and signed numbers zig-zag encoded over it. Line number tables
// and an nmethod's scope descriptors are written this way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace ember::jvm {

// Reads one number at `at`, moving it past; false when the bytes end first.
bool read_unsigned5(std::span<const unsigned char> bytes, std::size_t& at, std::uint32_t& out);
bool read_signed5(std::span<const unsigned char> bytes, std::size_t& at, std::int32_t& out);

}  // namespace ember::jvm

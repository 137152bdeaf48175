// How frames that have no symbol are named, in one place so every path of
// the plugin agrees: "libfoo.so+0x1a2b", "[vdso]+0x10", "[unknown]+0x7f00...".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ember/frame.hpp"

namespace ember::native {

// "/usr/lib/libfoo.so" -> "libfoo.so".
std::string_view base_name(std::string_view path);

std::string hex(std::uint64_t value);  // "0x1a2b"
// Bytes as lowercase hex digits, as build ids are written: "1a2b...".
std::string hex(const std::uint8_t* bytes, std::size_t size);

// A frame named module+offset.
FrameHandle offset_frame(std::string_view module, std::uint64_t offset, std::string kind);

FrameHandle named_frame(std::string name, std::string_view module, std::string kind);

// The frames of one code address, innermost first: the inlined functions
// it is in, then the function they were inlined into. Usually just one.
using FrameChain = std::vector<FrameHandle>;
using ChainHandle = std::shared_ptr<const FrameChain>;

ChainHandle single_frame(FrameHandle frame);

}  // namespace ember::native

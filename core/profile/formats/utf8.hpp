// UTF-8 checks for the writers: frame names come from binaries and scripts, so
// they may hold any bytes, and JSON and XML readers reject invalid UTF-8.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ember::formats {

inline constexpr std::string_view kUtf8Replacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the valid UTF-8 sequence at the start of `s`, or 0 when invalid
// (bad lead byte, truncated, overlong, surrogate or beyond U+10FFFF).
std::size_t valid_utf8_length(std::string_view s);

// `s` with every invalid byte replaced by U+FFFD (protobuf's proto3 strings
// must be UTF-8: a reader refuses the whole profile otherwise).
std::string valid_utf8(std::string_view s);

}  // namespace ember::formats

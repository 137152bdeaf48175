// The checks of a plugin's AbiStamp after its major matched: the minor and
// the build fingerprint (rules and reasons in ember/abi.hpp).
#pragma once

#include <string>

#include "ember/abi.hpp"

namespace ember {

// "gcc 12.2.0, libstdc++ 12 (_GLIBCXX_USE_CXX11_ABI=1), Boost 1.74.0"
std::string abi_fingerprint_text(const AbiStamp& stamp);

// Empty when a plugin built as `plugin` may run in a host built as `host`;
// otherwise what differs and why it matters.
std::string abi_fingerprint_mismatch(const AbiStamp& plugin, const AbiStamp& host);

// The stamp size of ABI 5.0: a plugin's stamp has at least these fields.
inline constexpr std::uint32_t kAbiStampMinimumSize = 9 * sizeof(std::uint32_t);

}  // namespace ember

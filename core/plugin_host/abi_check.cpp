#include "abi_check.hpp"

#include <cstddef>

namespace ember {

// The stamp's 5.0 layout is read from plugins of every later ABI: frozen.
static_assert(sizeof(AbiStamp) == kAbiStampMinimumSize);
static_assert(offsetof(AbiStamp, major) == 4 && offsetof(AbiStamp, minor) == 8);
static_assert(offsetof(AbiStamp, stdlib_abi) == 28 && offsetof(AbiStamp, boost_version) == 32);

namespace {

std::string dotted(std::uint32_t version, std::uint32_t scale) {
  return std::to_string(version / (scale * scale)) + "." +
         std::to_string(version / scale % scale) + "." + std::to_string(version % scale);
}

std::string compiler_text(const AbiStamp& stamp) {
  switch (stamp.compiler) {
    case AbiCompiler::gcc:
      return "gcc " + dotted(stamp.compiler_version, 100);
    case AbiCompiler::clang:
      return "clang " + dotted(stamp.compiler_version, 100);
    case AbiCompiler::other:
      break;
  }
  return "an unknown compiler";
}

std::string stdlib_text(const AbiStamp& stamp) {
  switch (stamp.stdlib) {
    case AbiStdlib::libstdcxx:
      return "libstdc++ " + std::to_string(stamp.stdlib_release) +
             " (_GLIBCXX_USE_CXX11_ABI=" + std::to_string(stamp.stdlib_abi) + ")";
    case AbiStdlib::libcxx:
      return "libc++ " + std::to_string(stamp.stdlib_release) +
             " (_LIBCPP_ABI_VERSION=" + std::to_string(stamp.stdlib_abi) + ")";
    case AbiStdlib::other:
      break;
  }
  return "an unknown standard library";
}

std::string boost_text(std::uint32_t version) {
  return "Boost " + std::to_string(version / 100000) + "." + std::to_string(version / 100 % 1000) +
         "." + std::to_string(version % 100);
}

}  // namespace

std::string abi_fingerprint_text(const AbiStamp& stamp) {
  return compiler_text(stamp) + ", " + stdlib_text(stamp) + ", " + boost_text(stamp.boost_version);
}

std::string abi_fingerprint_mismatch(const AbiStamp& plugin, const AbiStamp& host) {
  if (plugin.stdlib != host.stdlib) {
    return "another standard library: std::string and std::shared_ptr are laid out differently";
  }
  if (plugin.stdlib_abi != host.stdlib_abi) {
    return "another standard library ABI: std::string and std::list are laid out differently";
  }
  if (plugin.stdlib_release != host.stdlib_release) {
    return "another standard library release: its C++20 types have no stable layout across "
           "releases";
  }
  if (plugin.boost_version / 100 != host.boost_version / 100) {
    return "another Boost release: Boost keeps no ABI between releases";
  }
  return {};
}

}  // namespace ember

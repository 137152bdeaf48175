// The plugin ABI: the major.minor version of these headers and the build
// fingerprint (compiler, standard library, Boost) a plugin was compiled with.
// The host checks both before it calls anything in a plugin.
//
// Versioning rule (docs/plugin-sdk.md, "ABI 6"):
// - Minor bump (kAbiMinor + 1): additive changes an old plugin cannot notice.
//   A field appended to a struct the host allocates and hands to plugins
//   (ProcessInfo, BinaryRef, ...); a virtual with a default appended after
//   every existing virtual of a class (old vtable slots stay where they are);
//   a new header, type, constant or Host call. Plugins of the same major and a
//   lower minor keep loading. The host calls a plugin-implemented virtual
//   added in minor N only on plugins built for minor >= N
//   (LoadedLibrary::abi.minor): an older plugin's vtable has no such slot.
// - Major bump (kAbiMajor + 1, minor back to 0): anything else. A field
//   added to, removed from or reordered in a struct a plugin allocates or the
//   BPF record, a virtual inserted, removed or changed, a changed meaning.
//   Plugins of another major are refused.
// - A plugin built for a newer minor than the host's is refused: it may call
//   or rely on what this host lacks.
// Any change to a file under sdk/include/ changes the committed hash in
// sdk/abi-headers.sha256 (scripts/sdk-abi-hash): the unit test sdk.abi_headers
// fails until the version is bumped and the hash regenerated.
//
// How a plugin declares it (EMBER_*_PLUGIN in plugin.hpp): the Boost.DLL
// alias `ember_abi_version` (a std::uint32_t, the major: what ABI 4 and
// earlier exported, so the first check reads the same in every ember), then
// `ember_abi_stamp` (an AbiStamp: minor and fingerprint), then `ember_plugin`
// (the descriptor). The host reads them in that order and stops at the first
// mismatch.
//
// Which fingerprint fields must match (AbiStamp): the SDK passes standard
// library types (std::string, std::vector, std::shared_ptr, std::function,
// std::optional, std::variant, std::span) across the boundary by reference
// and in vtables, so their layouts must agree on both sides:
// - the standard library (libstdc++ or libc++) and its ABI switch
//   (_GLIBCXX_USE_CXX11_ABI: 0 is the pre-C++11 std::string and std::list,
//   a different layout; libc++: _LIBCPP_ABI_VERSION);
// - the standard library release (_GLIBCXX_RELEASE / _LIBCPP_VERSION):
//   libstdc++ keeps C++11 layouts stable across releases, but its C++20
//   support (what these headers are compiled as) is declared experimental,
//   with no ABI promise between releases;
// - Boost major.minor (BOOST_VERSION / 100): Boost promises no ABI between
//   releases, and plugins register through BOOST_DLL_ALIAS.
// The compiler (family and version) is recorded and printed but need not
// match: GCC and Clang both lay out classes, vtables and exceptions by the
// Itanium C++ ABI; what differs between toolchains is the library checked above.
#pragma once

#include <boost/version.hpp>
#include <cstdint>

namespace ember {

inline constexpr std::uint32_t kAbiMajor = 6;
inline constexpr std::uint32_t kAbiMinor = 5;
// The major under its ABI 4 name (what `ember_abi_version` holds).
inline constexpr std::uint32_t kAbiVersion = kAbiMajor;

enum class AbiCompiler : std::uint32_t { other = 0, gcc = 1, clang = 2 };
enum class AbiStdlib : std::uint32_t { other = 0, libstdcxx = 1, libcxx = 2 };

// What a plugin was built for and with. Fixed-width fields only, layout frozen
// for every major from 5 on (fields may only be appended; `size` says how
// many the plugin has), so a host reads it from a plugin of any later ABI.
struct AbiStamp {
  std::uint32_t size;              // sizeof(AbiStamp) in the plugin's build
  std::uint32_t major;             // kAbiMajor
  std::uint32_t minor;             // kAbiMinor
  AbiCompiler compiler;
  std::uint32_t compiler_version;  // major * 10000 + minor * 100 + patch
  AbiStdlib stdlib;
  std::uint32_t stdlib_release;    // _GLIBCXX_RELEASE; libc++: _LIBCPP_VERSION
  std::uint32_t stdlib_abi;        // _GLIBCXX_USE_CXX11_ABI; libc++: _LIBCPP_ABI_VERSION
  std::uint32_t boost_version;     // BOOST_VERSION: major * 100000 + minor * 100 + patch
};

// The stamp of the translation unit that calls it: evaluated in the plugin's
// build by the registration macro, in the host's by the loader.
constexpr AbiStamp this_build_abi_stamp() {
  AbiStamp stamp{};
  stamp.size = sizeof(AbiStamp);
  stamp.major = kAbiMajor;
  stamp.minor = kAbiMinor;
#if defined(__clang__)
  stamp.compiler = AbiCompiler::clang;
  stamp.compiler_version = __clang_major__ * 10000 + __clang_minor__ * 100 + __clang_patchlevel__;
#elif defined(__GNUC__)
  stamp.compiler = AbiCompiler::gcc;
  stamp.compiler_version = __GNUC__ * 10000 + __GNUC_MINOR__ * 100 + __GNUC_PATCHLEVEL__;
#else
  stamp.compiler = AbiCompiler::other;
#endif
#if defined(__GLIBCXX__)
  stamp.stdlib = AbiStdlib::libstdcxx;
  stamp.stdlib_release = _GLIBCXX_RELEASE;
  stamp.stdlib_abi = _GLIBCXX_USE_CXX11_ABI;
#elif defined(_LIBCPP_VERSION)
  stamp.stdlib = AbiStdlib::libcxx;
  stamp.stdlib_release = _LIBCPP_VERSION;
  stamp.stdlib_abi = _LIBCPP_ABI_VERSION;
#else
  stamp.stdlib = AbiStdlib::other;
#endif
  stamp.boost_version = BOOST_VERSION;
  return stamp;
}

}  // namespace ember

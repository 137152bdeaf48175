// A plugin built against another SDK major: it exports ember_abi_version = 999
// (or BAD_ABI_VERSION: 4 plays a plugin of ABI 4 and before, which exported
// the version and the descriptor only) the way EMBER_*_PLUGIN does. The host
// must refuse it after reading the version and before calling anything.
// Built several times: bad_abi.so exports only the version; bad_abi_full.so
// (BAD_ABI_WITH_DESCRIPTOR) also an `ember_plugin` descriptor whose layout
// this ember cannot know, as a real plugin of another major would, with
// nothing callable in it.
#include <boost/dll/alias.hpp>
#include <cstdint>

#ifndef BAD_ABI_VERSION
#define BAD_ABI_VERSION 999
#endif

namespace bad_abi {
const std::uint32_t abi_version = BAD_ABI_VERSION;
#ifdef BAD_ABI_WITH_DESCRIPTOR
struct FutureDescriptor {
  std::uint64_t words[8];
};
const FutureDescriptor descriptor = {{0, 0, 0, 0, 0, 0, 0, 0}};
#endif
}  // namespace bad_abi

BOOST_DLL_ALIAS(bad_abi::abi_version, ember_abi_version)
#ifdef BAD_ABI_WITH_DESCRIPTOR
BOOST_DLL_ALIAS(bad_abi::descriptor, ember_plugin)
#endif

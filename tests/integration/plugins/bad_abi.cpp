// A plugin built against a future SDK: it exports ember_abi_version = 999 the
// way EMBER_*_PLUGIN does. The host must refuse it after reading the version
// and before calling anything. Built twice: bad_abi.so exports only the
// version; bad_abi_full.so (BAD_ABI_WITH_DESCRIPTOR) also an `ember_plugin`
// descriptor whose layout this ember cannot know, as a real future plugin
// would, with nothing callable in it.
#include <boost/dll/alias.hpp>
#include <cstdint>

namespace bad_abi {
const std::uint32_t abi_version = 999;
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

// A plugin built against a future SDK: it exports ember_abi_version = 999 the
// way EMBER_*_PLUGIN does, and nothing else. The host must refuse it after
// reading the version and before calling anything.
#include <boost/dll/alias.hpp>
#include <cstdint>

namespace bad_abi {
const std::uint32_t abi_version = 999;
}

BOOST_DLL_ALIAS(bad_abi::abi_version, ember_abi_version)

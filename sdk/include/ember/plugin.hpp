// Registration: one macro per plugin .so exports, as Boost.DLL aliases, the
// ABI major it was built against (`ember_abi_version`), its AbiStamp (minor
// and build fingerprint, `ember_abi_stamp`) and a descriptor (`ember_plugin`).
// The host reads them in that order and calls nothing when one is refused
// (abi.hpp).
//
//   EMBER_RUNTIME_PLUGIN(NativePlugin, "native")
//   EMBER_SINK_PLUGIN(FilesSink, "files")
#pragma once

#include <boost/dll/alias.hpp>
#include <cstdint>

#include "ember/abi.hpp"
#include "ember/runtime_plugin.hpp"
#include "ember/sink_plugin.hpp"

namespace ember {

enum class PluginType : std::uint32_t { runtime = 1, sink = 2 };

struct PluginDescriptor {
  PluginType type;
  const char* name;                 // runtime.<name> / sink.<name> in the config
  RuntimePlugin* (*create_runtime)();  // set for runtime plugins
  SinkPlugin* (*create_sink)();        // set for sink plugins
};

}  // namespace ember

// `stamp_init` is ::ember::this_build_abi_stamp() but in tests that play
// plugins of other versions and toolchains.
#define EMBER_DETAIL_EXPORT_PLUGIN(stamp_init, descriptor_init)                       \
  namespace ember_plugin_registration {                                               \
  constexpr ::ember::AbiStamp abi_stamp = stamp_init;                                 \
  constexpr std::uint32_t abi_version = abi_stamp.major;                              \
  const ::ember::PluginDescriptor descriptor = descriptor_init;                       \
  }                                                                                   \
  BOOST_DLL_ALIAS(ember_plugin_registration::abi_version, ember_abi_version)          \
  BOOST_DLL_ALIAS(ember_plugin_registration::abi_stamp, ember_abi_stamp)              \
  BOOST_DLL_ALIAS(ember_plugin_registration::descriptor, ember_plugin)

#define EMBER_DETAIL_RUNTIME_PLUGIN(Class, plugin_name, stamp_init)                   \
  namespace ember_plugin_registration {                                               \
  ::ember::RuntimePlugin* create_runtime() { return new Class(); }                    \
  }                                                                                   \
  EMBER_DETAIL_EXPORT_PLUGIN(stamp_init, (::ember::PluginDescriptor{                  \
      ::ember::PluginType::runtime, plugin_name, &ember_plugin_registration::create_runtime, \
      nullptr}))

#define EMBER_DETAIL_SINK_PLUGIN(Class, plugin_name, stamp_init)                      \
  namespace ember_plugin_registration {                                               \
  ::ember::SinkPlugin* create_sink() { return new Class(); }                          \
  }                                                                                   \
  EMBER_DETAIL_EXPORT_PLUGIN(stamp_init, (::ember::PluginDescriptor{                  \
      ::ember::PluginType::sink, plugin_name, nullptr, &ember_plugin_registration::create_sink}))

#define EMBER_RUNTIME_PLUGIN(Class, plugin_name) \
  EMBER_DETAIL_RUNTIME_PLUGIN(Class, plugin_name, ::ember::this_build_abi_stamp())

#define EMBER_SINK_PLUGIN(Class, plugin_name) \
  EMBER_DETAIL_SINK_PLUGIN(Class, plugin_name, ::ember::this_build_abi_stamp())

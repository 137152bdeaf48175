// Registration: one macro per plugin .so exports the ABI version it was built
// against and a descriptor, both as Boost.DLL aliases. The host reads
// `ember_abi_version` first and calls nothing else when it differs.
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

#define EMBER_DETAIL_EXPORT_PLUGIN(descriptor_init)                                   \
  namespace ember_plugin_registration {                                               \
  const std::uint32_t abi_version = ::ember::kAbiVersion;                             \
  const ::ember::PluginDescriptor descriptor = descriptor_init;                       \
  }                                                                                   \
  BOOST_DLL_ALIAS(ember_plugin_registration::abi_version, ember_abi_version)          \
  BOOST_DLL_ALIAS(ember_plugin_registration::descriptor, ember_plugin)

#define EMBER_RUNTIME_PLUGIN(Class, plugin_name)                                      \
  namespace ember_plugin_registration {                                               \
  ::ember::RuntimePlugin* create_runtime() { return new Class(); }                    \
  }                                                                                   \
  EMBER_DETAIL_EXPORT_PLUGIN((::ember::PluginDescriptor{                              \
      ::ember::PluginType::runtime, plugin_name, &ember_plugin_registration::create_runtime, \
      nullptr}))

#define EMBER_SINK_PLUGIN(Class, plugin_name)                                         \
  namespace ember_plugin_registration {                                               \
  ::ember::SinkPlugin* create_sink() { return new Class(); }                          \
  }                                                                                   \
  EMBER_DETAIL_EXPORT_PLUGIN((::ember::PluginDescriptor{                              \
      ::ember::PluginType::sink, plugin_name, nullptr, &ember_plugin_registration::create_sink}))

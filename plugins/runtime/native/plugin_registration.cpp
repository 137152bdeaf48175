// The plugin's only exported symbols: its ABI version and descriptor.
#include "ember/plugin.hpp"
#include "native_plugin.hpp"

using NativePlugin = ember::native::NativePlugin;
EMBER_RUNTIME_PLUGIN(NativePlugin, "native")

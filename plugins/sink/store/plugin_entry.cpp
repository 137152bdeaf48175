// The plugin's registration; the sink itself is in store_sink.cpp.
#include "ember/plugin.hpp"
#include "store_sink.hpp"

EMBER_SINK_PLUGIN(ember::store_sink::StoreSink, "store")

// The plugin's registration; the sink itself is in files_sink.cpp.
#include "ember/plugin.hpp"
#include "files_sink.hpp"

EMBER_SINK_PLUGIN(ember::files::FilesSink, "files")

// The plugin's registration; the sink itself is in upload_sink.cpp.
#include "ember/plugin.hpp"
#include "upload_sink.hpp"

EMBER_SINK_PLUGIN(ember::upload_sink::UploadSink, "upload")

// What the upload sink sends for one window (docs/formats.md, "Upload"): the
// window as a pprof file (gzip-compressed protobuf, the bytes the files sink
// writes) POSTed with Pyroscope's /ingest query parameters, so an ember
// server and a Pyroscope server take the same request. Spooled as one entry:
// the query string, a newline, the body.
#pragma once

#include <string>
#include <string_view>

#include "ember/window.hpp"

namespace ember::upload_sink {

// name=<app_name>{host=<host>}&from=<s>&until=<s>&format=pprof&sampleRate=<hz>
// &spyName=ember&units=samples&aggregationType=sum. Throws on a zlib failure.
std::string spool_entry(const Window& window, const std::string& app_name);

// The entry's query string and body; false when it is not an entry.
bool split_entry(std::string_view entry, std::string_view& query, std::string_view& body);

}  // namespace ember::upload_sink

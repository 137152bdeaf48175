// The HTTP module (core/http_module/http_entry.hpp), loaded the first time
// something needs HTTP: `ember ui`, `ember server`, `ember report --server`,
// the agent's web UI. Until then neither it nor cpp-httplib, OpenSSL and
// Brotli are mapped. Never unloaded (what it served may still run).
#pragma once

#include <string>

#include "ember/status.hpp"
#include "http_entry.hpp"

namespace ember::cli {

// <dir of the running binary>/../lib/ember/ember-http.so, beside the plugins.
std::string http_module_path();

// The module's entry; an error naming the file and what to do when it is
// missing, refused (plugin_file_trust.hpp) or of another build.
Status load_http_module(const http::Entry*& out);

}  // namespace ember::cli

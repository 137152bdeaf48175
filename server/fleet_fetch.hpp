// `ember report --server URL`'s requests to the query API (cpp-httplib):
// built into the HTTP module (core/http_module), the binaries reach them
// through it. What they send and read back is fleet_client.hpp's.
#pragma once

#include "fleet_client.hpp"

namespace ember::server {

// Errors carry the server's message (no samples, a bad parameter, a refused
// token, ClickHouse unreachable) or say why it could not be reached.
Status fetch_fleet_window(const FleetRequest& request, Window& out);

// `ember report --server --format top`'s table: the server's
// /api/v1/functions answer (params: view, sort, limit besides the
// selection), one request of a few rows where an export is every sample.
Status fetch_fleet_functions(const FleetRequest& request, report::TopTable& out);

// `ember report --server --diff`'s table: the server's /api/v1/diff answer
// without its tree (request.params: diff_params's).
Status fetch_fleet_diff(const FleetRequest& request, report::DiffTable& out);

}  // namespace ember::server

// `ember report --server URL`'s side of the query API: the selection fetched
// from the server's /api/v1/export as pprof, read back into a Window, and
// served to the report's computations as a store that holds that window (and,
// for --diff, the second range's), so a fleet report is computed and printed
// exactly as a local one.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "ember/status.hpp"
#include "ember/window.hpp"
#include "report.hpp"
#include "store_reader.hpp"

namespace ember::server {

struct FleetRequest {
  std::string url;    // the server: http(s)://host:port[/]
  std::string token;  // sent as a bearer token
  std::multimap<std::string, std::string> params;  // from, to, host, service, ...
};

// Errors carry the server's message (no samples, a bad parameter, a refused
// token, ClickHouse unreachable) or say why it could not be reached.
Status fetch_fleet_window(const FleetRequest& request, Window& out);

// `ember report --server --format top`'s table: the server's
// /api/v1/functions answer (params: view, sort, limit besides the
// selection), one request of a few rows where an export is every sample.
Status fetch_fleet_functions(const FleetRequest& request, report::TopTable& out);

// That answer's JSON read back (docs/api.md's functions).
Status read_functions_answer(const std::string& json, report::TopTable& out);

// A window fetched for one range.
struct RangeWindow {
  std::int64_t from_ns = 0, to_ns = 0;
  Window window;
};

// A store holding one window (the fetched one): what run_report reads. With
// `second` (`ember report --diff`'s range, fetched too), a read of exactly
// that range is its window; every other read is `window`.
std::unique_ptr<store::StoreReader> window_store(Window window,
                                                 std::optional<RangeWindow> second = {});

// The first line of a token file (what `--token-file` names), for requests.
Status read_token(const std::string& path, std::string& token);

}  // namespace ember::server

// `ember report --server URL`'s side of the query API. A table is the
// server's answer, computed there as the UI's (its functions and diff
// answers: the frames' kinds as stored); a profile file (folded, svg, ...)
// is the selection fetched from /api/v1/export as pprof, read back into a
// Window and served to the report's computations as a store that holds that
// window, so it is written exactly as a local one.
#pragma once

#include <map>
#include <memory>
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

// The requests themselves are in fleet_fetch.hpp (HTTP): here what is sent
// and what comes back, no HTTP in it.

// The server's functions answer's JSON read back (docs/api.md's functions).
Status read_functions_answer(const std::string& json, report::TopTable& out);

// The parameters of `ember report --server --format top`'s functions
// request, added to the selection's: the report's view, sort and limit.
void top_params(const report::ReportRequest& request,
                std::multimap<std::string, std::string>& params);

// The parameters of `ember report --server --diff`'s diff request, from the
// selection's (from, to and the filters, as sent for a table): the
// report's --from/--to are the baseline (base_from, base_to), its --diff
// range the second (resolved with `now_ns`, sent as nanoseconds); the view
// and limit as the report's.
Status diff_params(const report::ReportRequest& request, std::int64_t now_ns,
                   std::multimap<std::string, std::string>& params);

// The server's diff answer's JSON read back (docs/api.md's diff).
Status read_diff_answer(const std::string& json, report::DiffTable& out);

// A store holding one window (the fetched one): what run_report reads.
std::unique_ptr<store::StoreReader> window_store(Window window);

// The first line of a token file (what `--token-file` names), for requests.
Status read_token(const std::string& path, std::string& token);

}  // namespace ember::server

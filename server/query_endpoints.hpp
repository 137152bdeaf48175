// The part of the web UI's API (docs/api.md) the server answers over
// ClickHouse, without the HTTP: /api/v1/summary and /api/v1/export (what
// `ember report --server` reads), with the API's filters plus `host`.
// host, service and process narrow the read in ClickHouse; the other filters
// (pid, container, pod, kind, label, cmdline, thread) apply to what it read,
// as `ember report` applies them.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "clickhouse_client.hpp"

namespace ember::server {

struct QueryAnswer {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

using QueryParams = std::multimap<std::string, std::string>;

QueryAnswer summary_endpoint(const ClickHouse& clickhouse);
// `format` pprof (default), folded, speedscope or svg; `from`/`to` as
// `ember report` takes them (default: everything to now).
QueryAnswer export_endpoint(const ClickHouse& clickhouse, const QueryParams& params,
                            std::int64_t now_ns);

// {"error": {"status": N, "message": "..."}}, as the UI's API answers.
QueryAnswer query_error(int status, const std::string& message);

}  // namespace ember::server

// Reading the fleet's samples back from ClickHouse as one Window: the samples
// of the windows that overlap a time range, narrowed in ClickHouse by the
// ordering columns (host, service) and the process name, summed per stack,
// thread and label set, with their stacks and frames. What the query API and
// `ember report --server` compute on.
//
// Processes are keyed by host and pid: a pid already taken by another host's
// process gets a number above the kernel's pid limit (4194304), so two hosts'
// processes never merge. Every sample carries a `host` label.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "clickhouse_client.hpp"
#include "ember/status.hpp"
#include "ember/window.hpp"

namespace ember::server {

struct FleetSelection {
  std::int64_t from_ns = 0;  // windows ending after this
  std::int64_t to_ns = 0;    // and starting before this; 0: no end
  std::vector<std::string> hosts;      // alternatives; empty: all
  std::vector<std::string> services;
  std::vector<std::string> processes;  // comm
};

struct FleetRead {
  Status status = Status::ok();
  bool unreachable = false;  // ClickHouse did not answer (503, not 500)
};

FleetRead read_fleet_window(const ClickHouse& clickhouse, const FleetSelection& selection,
                            Window& out);

// What the fleet holds, for /api/v1/summary: windows counted as distinct
// (host, ts), the span, hosts, services and process names.
struct FleetSummary {
  std::uint64_t windows = 0;
  std::int64_t first_ns = 0, last_ns = 0;
  std::vector<std::string> hosts, services, processes;
};
FleetRead read_fleet_summary(const ClickHouse& clickhouse, FleetSummary& out);

}  // namespace ember::server

// The web UI's JSON API (docs/api.md: summary, targets, timeline, flamegraph,
// diff, functions, export) over the fleet in ClickHouse: the UI's own
// endpoints (core/ui/api.hpp) over a FleetStore, so the fleet's answers have
// the local UI's shapes, plus a `host` parameter (repeatable: alternatives)
// that narrows the read in ClickHouse. Each set of hosts asked for has its
// own store and cache (the last few sets are kept). The samples of the fleet
// carry a `host` label, so `label=host=NAME` (what the UI's target picker
// offers for each host) filters a fleet-wide read as any label does.
//
// ClickHouse unreachable: 503; a ClickHouse error: 500. Requests are
// answered one at a time, as the local UI's are.
#pragma once

#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "api.hpp"
#include "clickhouse_client.hpp"
#include "fleet_store.hpp"

namespace ember::server {

class FleetApi {
 public:
  // `rollup_from_ns`: reads of ranges this long or longer take their whole
  // hours from the hourly rollup (fleet_query.hpp); 0: never. `summed`:
  // FleetStore's (false: every read takes the rows as stored).
  FleetApi(const ClickHouse& clickhouse, ui::Api::Clock now,
           std::int64_t rollup_from_ns = kRollupFromNs, bool summed = true)
      : clickhouse_(clickhouse),
        now_(std::move(now)),
        rollup_from_ns_(rollup_from_ns),
        summed_(summed) {}

  // `path` is the request's path ("/api/v1/flamegraph"), `params` its query.
  ui::ApiResponse handle(std::string_view path, const ui::Params& params) const;

 private:
  struct View {  // one set of hosts: its store and the API's cache over it
    View(const ClickHouse& clickhouse, std::vector<std::string> hosts, const ui::Api::Clock& now,
         std::int64_t rollup_from_ns, bool summed);
    FleetStore store;
    ui::Api api;
  };
  View& view_of(const std::vector<std::string>& hosts) const;

  const ClickHouse& clickhouse_;
  ui::Api::Clock now_;
  std::int64_t rollup_from_ns_;
  bool summed_;
  mutable std::mutex mutex_;
  mutable std::list<std::pair<std::string, std::unique_ptr<View>>> views_;  // most recent first
};

}  // namespace ember::server

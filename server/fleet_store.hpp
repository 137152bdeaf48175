// The fleet in ClickHouse seen as a profile store (store_reader.hpp), so the
// web UI's API (core/ui/api.hpp) answers over it exactly as over an agent's
// SQLite store: summary, the windows of a range, a range read as one Window
// (fleet_query.hpp). A FleetStore may be narrowed to some hosts, in
// ClickHouse (`WHERE host IN ...`).
//
// A read carries the agents' host and process metrics; a process whose agent
// sent none has its CPU from its samples (samples / rate / window length, one
// point per window at its end, rounded down to a multiple of the window's
// length so the same-length windows of many hosts add up in one step).
//
// summary() is what refresh() read last: the API asks for it on every
// request, and it cannot say that ClickHouse failed; refresh() can.
// Not thread-safe: the API serialises its requests.
#pragma once

#include <string>
#include <vector>

#include "clickhouse_client.hpp"
#include "fleet_query.hpp"
#include "store_reader.hpp"

namespace ember::server {

class FleetStore final : public store::StoreReader {
 public:
  // `rollup_from_ns`: FleetSelection's (0: samples alone). `summed`: the
  // reads per process, of counts and of metrics summed in ClickHouse; false:
  // each is a whole read summed here (StoreReader's defaults: the same
  // Window, every row sent; what the tests compare with).
  FleetStore(const ClickHouse& clickhouse, std::vector<std::string> hosts,
             std::int64_t rollup_from_ns = 0, bool summed = true)
      : clickhouse_(clickhouse),
        hosts_(std::move(hosts)),
        rollup_from_ns_(rollup_from_ns),
        summed_(summed) {}

  // Reads the summary again (kinds: the built-in ones and every stored one).
  FleetRead refresh();
  // True when the last read or windows() found ClickHouse unreachable
  // (the API says 500 for a failed read; the server makes it 503).
  bool unreachable() const { return unreachable_; }
  const std::string& problem() const { return problem_; }  // the last failure's message
  const std::vector<std::string>& hosts() const { return hosts_; }

  store::StoreSummary summary() const override { return summary_; }
  Status read(std::int64_t from_ns, std::int64_t to_ns, Window& merged) const override;
  // Each summed in ClickHouse (FleetDetail), not from a whole read: only the
  // rows kept are sent.
  Status read_per_process(std::int64_t from_ns, std::int64_t to_ns, Window& merged) const override;
  Status read_process_counts(std::int64_t from_ns, std::int64_t to_ns,
                             Window& merged) const override;
  Status read_per_stack(std::int64_t from_ns, std::int64_t to_ns, Window& merged) const override;
  bool sums_per_stack() const override { return summed_; }
  Status read_metrics(std::int64_t from_ns, std::int64_t to_ns, Window& merged) const override;
  // One span per stored window of each host, oldest first.
  Status windows(std::int64_t from_ns, std::int64_t to_ns,
                 std::vector<store::WindowSpan>& spans) const override;

 private:
  Status failed(const FleetRead& read) const;
  Status read_detail(std::int64_t from_ns, std::int64_t to_ns, FleetDetail detail,
                     Window& merged) const;

  const ClickHouse& clickhouse_;
  std::vector<std::string> hosts_;
  std::int64_t rollup_from_ns_;
  bool summed_;
  store::StoreSummary summary_;
  mutable bool unreachable_ = false;
  mutable std::string problem_;
};

}  // namespace ember::server

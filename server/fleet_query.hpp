// Reading the fleet's samples back from ClickHouse as one Window: the samples
// of the windows that overlap a time range, narrowed in ClickHouse by the
// ordering columns (host, service) and the process name, summed per stack,
// thread and label set, with their stacks and frames; a day or more of them
// from the hourly rollup. Rows are taken in a set order, so a read gives the
// same Window from one node as from a cluster. What the query API and
// `ember report --server` compute on.
//
// The agents' host and process metrics come with it (a process without
// any: its CPU per window from its samples, as fleet_store.hpp says).
//
// Label sets are numbered in their sorted order, so reads of every detail
// number them alike. Processes are keyed by host and pid: a pid already
// taken by another host's process gets a number above the kernel's pid limit
// (4194304), so two hosts' processes never merge; so does a profile without processes (pid 0).
// Every sample carries a `host` label.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "clickhouse_client.hpp"
#include "ember/status.hpp"
#include "ember/window.hpp"

namespace ember::server {

// Reads of a day or longer take the hourly rollup by default.
inline constexpr std::int64_t kRollupFromNs = 24LL * 3600 * 1'000'000'000;

// How much of the samples a read takes (StoreReader's reads): each row as
// stored (per thread); each process' threads summed (tid 0, no threads);
// each process' samples per label set without stacks (stack 0, no stacks or
// frames); each stack's samples alone (pid, tid and labels 0, no processes,
// threads or metrics); or no samples at all (the processes, threads and
// metrics). Each summed in ClickHouse, so only the rows the read keeps are
// sent.
enum class FleetDetail { threads, processes, stacks, counts, metrics };

struct FleetSelection {
  std::int64_t from_ns = 0;  // windows ending after this
  std::int64_t to_ns = 0;    // and starting before this; 0: no end
  std::vector<std::string> hosts;      // alternatives; empty: all
  std::vector<std::string> services;
  std::vector<std::string> processes;  // comm
  // A range this long or longer (or without an end) takes its whole hours
  // from the hourly rollup, samples_hourly (the same sums, fewer rows), the
  // rest from samples; 0: samples alone.
  std::int64_t rollup_from_ns = 0;
  FleetDetail detail = FleetDetail::threads;
};

struct FleetRead {
  Status status = Status::ok();
  bool unreachable = false;  // ClickHouse did not answer (503, not 500)
};

FleetRead read_fleet_window(const ClickHouse& clickhouse, const FleetSelection& selection,
                            Window& out);

// The stored windows overlapping the selection's range, one per (host,
// start), oldest first.
struct FleetWindow {
  std::int64_t start_ns = 0, end_ns = 0;
};
FleetRead read_fleet_windows(const ClickHouse& clickhouse, const FleetSelection& selection,
                             std::vector<FleetWindow>& out);

// What the fleet (or `hosts` of it) holds, for /api/v1/summary: windows
// counted as distinct (host, ts), the span, hosts, services, process names and
// the frame kinds stored.
struct FleetSummary {
  std::uint64_t windows = 0;
  std::int64_t first_ns = 0, last_ns = 0;
  std::vector<std::string> hosts, services, processes, kinds;
};
FleetRead read_fleet_summary(const ClickHouse& clickhouse, const std::vector<std::string>& hosts,
                             FleetSummary& out);

}  // namespace ember::server

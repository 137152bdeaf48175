#include "fleet_store.hpp"

#include <algorithm>

namespace ember::server {

FleetRead FleetStore::refresh() {
  FleetSummary fleet;
  FleetRead read = read_fleet_summary(clickhouse_, hosts_, fleet);
  unreachable_ = read.unreachable;
  if (!read.status) return read;
  store::StoreSummary summary;
  summary.windows = fleet.windows;
  summary.first_ns = fleet.first_ns;
  summary.last_ns = fleet.last_ns;
  summary.hosts = std::move(fleet.hosts);
  summary.services = std::move(fleet.services);
  summary.processes = std::move(fleet.processes);
  for (const BuiltinFrameKind& k : kBuiltinFrameKinds) summary.kinds.emplace_back(k.kind);
  for (std::string& kind : fleet.kinds) {
    if (std::find(summary.kinds.begin(), summary.kinds.end(), kind) == summary.kinds.end()) {
      summary.kinds.push_back(std::move(kind));
    }
  }
  summary_ = std::move(summary);
  return read;
}

Status FleetStore::failed(const FleetRead& read) const {
  unreachable_ = read.unreachable;
  if (!read.status) problem_ = read.status.message();
  return read.status;
}

Status FleetStore::read_detail(std::int64_t from_ns, std::int64_t to_ns, FleetDetail detail,
                               Window& merged) const {
  FleetSelection selection;
  selection.from_ns = from_ns;
  selection.to_ns = to_ns;
  selection.hosts = hosts_;
  selection.rollup_from_ns = rollup_from_ns_;
  selection.detail = detail;
  return failed(read_fleet_window(clickhouse_, selection, merged));
}

Status FleetStore::read(std::int64_t from_ns, std::int64_t to_ns, Window& merged) const {
  return read_detail(from_ns, to_ns, FleetDetail::threads, merged);
}

Status FleetStore::read_per_process(std::int64_t from_ns, std::int64_t to_ns,
                                    Window& merged) const {
  if (!summed_) return StoreReader::read_per_process(from_ns, to_ns, merged);
  return read_detail(from_ns, to_ns, FleetDetail::processes, merged);
}

Status FleetStore::read_process_counts(std::int64_t from_ns, std::int64_t to_ns,
                                       Window& merged) const {
  if (!summed_) return StoreReader::read_process_counts(from_ns, to_ns, merged);
  return read_detail(from_ns, to_ns, FleetDetail::counts, merged);
}

Status FleetStore::read_per_stack(std::int64_t from_ns, std::int64_t to_ns, Window& merged) const {
  if (!summed_) return StoreReader::read_per_stack(from_ns, to_ns, merged);
  return read_detail(from_ns, to_ns, FleetDetail::stacks, merged);
}

Status FleetStore::read_metrics(std::int64_t from_ns, std::int64_t to_ns, Window& merged) const {
  if (!summed_) return StoreReader::read_metrics(from_ns, to_ns, merged);
  return read_detail(from_ns, to_ns, FleetDetail::metrics, merged);
}

Status FleetStore::windows(std::int64_t from_ns, std::int64_t to_ns,
                           std::vector<store::WindowSpan>& spans) const {
  FleetSelection selection;
  selection.from_ns = from_ns;
  selection.to_ns = to_ns;
  selection.hosts = hosts_;
  std::vector<FleetWindow> windows;
  FleetRead read = read_fleet_windows(clickhouse_, selection, windows);
  if (!read.status) return failed(read);
  spans.clear();
  for (const FleetWindow& w : windows) spans.push_back(store::WindowSpan{w.start_ns, w.end_ns});
  return Status::ok();
}

}  // namespace ember::server

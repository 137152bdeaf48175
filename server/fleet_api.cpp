#include "fleet_api.hpp"

#include <algorithm>

namespace ember::server {
namespace {

// Sets of hosts kept with their reads: the fleet and a few hosts picked.
constexpr std::size_t kViews = 4;
// Reads kept per set: a fleet-wide day is big.
constexpr std::size_t kReadsPerView = 2;

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

}  // namespace

FleetApi::View::View(const ClickHouse& clickhouse, std::vector<std::string> hosts,
                     const ui::Api::Clock& now, std::int64_t rollup_from_ns, bool summed)
    : store(clickhouse, std::move(hosts), rollup_from_ns, summed), api(store, now, kReadsPerView) {}

FleetApi::View& FleetApi::view_of(const std::vector<std::string>& hosts) const {
  std::string key;
  for (const std::string& host : hosts) key += host + '\x1f';
  for (auto it = views_.begin(); it != views_.end(); ++it) {
    if (it->first != key) continue;
    views_.splice(views_.begin(), views_, it);
    return *views_.front().second;
  }
  views_.emplace_front(key, std::make_unique<View>(clickhouse_, hosts, now_, rollup_from_ns_, summed_));
  while (views_.size() > kViews) views_.pop_back();
  return *views_.front().second;
}

ui::ApiResponse FleetApi::handle(std::string_view path, const ui::Params& params) const {
  std::vector<std::string> hosts;
  ui::Params rest;
  for (const auto& [key, value] : params) {
    if (key != "host") {
      rest.emplace(key, value);
    } else if (value.empty() || value.size() > ui::kMaxValueBytes) {
      return ui::error_response(400, "host: expected a host name of 1 to 512 bytes");
    } else {
      hosts.push_back(value);
    }
  }
  if (hosts.size() > ui::kMaxValuesPerKey) {
    return ui::error_response(400, "host: more than 64 values");
  }
  std::sort(hosts.begin(), hosts.end());
  hosts.erase(std::unique(hosts.begin(), hosts.end()), hosts.end());

  std::lock_guard lock(mutex_);
  View& view = view_of(hosts);
  if (FleetRead read = view.store.refresh(); !read.status) {
    return ui::error_response(read.unreachable ? 503 : 500, read.status.message());
  }
  // Hosts that sent nothing: say so in the fleet's terms, not a store's.
  if (!hosts.empty() && view.store.summary().windows == 0 && path != "/api/v1/summary") {
    return ui::error_response(404, "no samples from host " + joined(hosts) +
                                       " (GET /api/v1/summary lists the fleet's hosts)");
  }
  ui::ApiResponse response = view.api.handle(path, rest);
  if (response.status >= 500 && view.store.unreachable()) {
    return ui::error_response(503, view.store.problem());
  }
  return response;
}

}  // namespace ember::server

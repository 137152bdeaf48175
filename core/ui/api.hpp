// The web UI's JSON API over a store (docs/api.md): one call per request,
// independent of HTTP, so the unit tests and any server (`ember ui`, later
// the agent and the fleet server) answer the same. Every answer is JSON but
// an export's; a bad request is a 4xx with {"error": {"status", "message"}},
// never a crash.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "api_query.hpp"
#include "lru_cache.hpp"
#include "store_reader.hpp"

namespace ember::ui {

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::string filename;  // set: a download (Content-Disposition: attachment)
};

ApiResponse error_response(int status, const std::string& message);

using SharedWindow = std::shared_ptr<const Window>;

// What the API keeps between requests (lru_cache.hpp): reads and selections
// of the store, and flame graph answers.
struct ApiCaches {
  explicit ApiCaches(std::size_t windows)
      : windows(windows), answers(windows * 2), view_changed(windows * 4) {}
  LruCache<SharedWindow> windows;
  LruCache<std::shared_ptr<const std::string>> answers;
  // Per runtime-view selection kept, the samples the view changed (a
  // number: more are kept than windows, so a kept view keeps its count).
  LruCache<std::uint64_t> view_changed;
  std::uint64_t store_reads = 0;  // reads of the store so far
};

// What every endpoint gets.
struct ApiRequest {
  const store::StoreReader& store;
  const store::StoreSummary& summary;
  std::int64_t now_ns;
  ApiQuery& query;
  ApiCaches& cache;

  // `from` and `to` (with `prefix`: "base_from", "base_to") resolved
  // against the store and the clock (ApiQuery::range).
  report::TimeRange range(const std::string& prefix = "") {
    return query.range(summary, now_ns, prefix);
  }
};

class Api {
 public:
  using Clock = std::function<std::int64_t()>;  // wall-clock nanoseconds
  // Keeps up to `cached_windows` reads and selections (lru_cache.hpp).
  Api(const store::StoreReader& store, Clock now, std::size_t cached_windows = 4)
      : store_(store), now_(std::move(now)), cache_(cached_windows) {}

  // `path` is the request's path ("/api/v1/targets"), `params` its query.
  ApiResponse handle(std::string_view path, const Params& params) const;

  // Drops what is kept when no request came for `idle`: a day's read holds
  // hundreds of MB, which the agent serving the UI should not keep for
  // nobody. True when something was dropped.
  bool forget_when_idle(std::chrono::steady_clock::duration idle) const;
  std::size_t kept() const;  // reads, selections and answers kept

 private:
  const store::StoreReader& store_;
  Clock now_;
  mutable std::mutex mutex_;  // one SQLite connection: one request at a time
  mutable ApiCaches cache_;
  mutable std::chrono::steady_clock::time_point last_request_{};
};

}  // namespace ember::ui

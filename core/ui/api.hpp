// The web UI's JSON API over a store (docs/api.md): one call per request,
// independent of HTTP, so the unit tests and any server (`ember ui`, later
// the agent and the fleet server) answer the same. Every answer is JSON but
// an export's; a bad request is a 4xx with {"error": {"status", "message"}},
// never a crash.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include "api_query.hpp"
#include "store_reader.hpp"

namespace ember::ui {

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::string filename;  // set: a download (Content-Disposition: attachment)
};

ApiResponse error_response(int status, const std::string& message);

// What every endpoint gets.
struct ApiRequest {
  const store::StoreReader& store;
  const store::StoreSummary& summary;
  std::int64_t now_ns;
  ApiQuery& query;
};

class Api {
 public:
  using Clock = std::function<std::int64_t()>;  // wall-clock nanoseconds
  Api(const store::StoreReader& store, Clock now) : store_(store), now_(std::move(now)) {}

  // `path` is the request's path ("/api/v1/targets"), `params` its query.
  ApiResponse handle(std::string_view path, const Params& params) const;

 private:
  const store::StoreReader& store_;
  Clock now_;
  mutable std::mutex mutex_;  // one SQLite connection: one request at a time
};

}  // namespace ember::ui

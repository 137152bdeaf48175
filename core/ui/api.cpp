#include "api.hpp"

#include <malloc.h>

#include <exception>
#include <utility>

#include "endpoints.hpp"
#include "json_writer.hpp"

namespace ember::ui {
namespace {

using Endpoint = ApiResponse (*)(ApiRequest&);

struct Route {
  std::string_view path;
  Endpoint endpoint;
};

constexpr Route kRoutes[] = {
    {"/api/v1/summary", summary_endpoint},       {"/api/v1/targets", targets_endpoint},
    {"/api/v1/timeline", timeline_endpoint},     {"/api/v1/flamegraph", flamegraph_endpoint},
    {"/api/v1/diff", diff_endpoint},             {"/api/v1/functions", functions_endpoint},
    {"/api/v1/export", export_endpoint},
};

}  // namespace

ApiResponse error_response(int status, const std::string& message) {
  JsonWriter json;
  json.begin_object().key("error").begin_object();
  json.field("status", status).field("message", message);
  json.end_object().end_object();
  return ApiResponse{status, "application/json", json.take(), ""};
}

ApiResponse Api::handle(std::string_view path, const Params& params) const {
  for (const Route& route : kRoutes) {
    if (route.path != path) continue;
    try {
      std::lock_guard lock(mutex_);
      last_request_ = std::chrono::steady_clock::now();
      store::StoreSummary summary = store_.summary();
      ApiQuery query(params);
      ApiRequest request{store_, summary, now_(), query, cache_};
      const std::uint64_t reads_before = cache_.store_reads;
      ApiResponse response = route.endpoint(request);
      // A read of the store freed its scaffolding (merged rows, row indexes:
      // as much again as the read under churn): the pages go back now, not
      // once the page is closed.
      if (cache_.store_reads != reads_before) malloc_trim(0);
      Status checked = query.finish();
      if (!checked) return error_response(400, checked.message());
      return response;
    } catch (const std::exception& e) {
      return error_response(500, std::string("cannot answer: ") + e.what());
    }
  }
  return error_response(404, "no API endpoint " + std::string(path) +
                                 " (see docs/api.md: /api/v1/summary, targets, timeline, "
                                 "flamegraph, diff, functions, export)");
}

bool Api::forget_when_idle(std::chrono::steady_clock::duration idle) const {
  std::lock_guard lock(mutex_);
  if (std::chrono::steady_clock::now() - last_request_ < idle) return false;
  if (cache_.windows.size() == 0 && cache_.answers.size() == 0) return false;
  cache_.windows.clear();
  cache_.answers.clear();
  cache_.view_changed.clear();
  return true;
}

std::size_t Api::kept() const {
  std::lock_guard lock(mutex_);
  return cache_.windows.size() + cache_.answers.size();
}

}  // namespace ember::ui

#include "endpoints.hpp"
#include "report.hpp"
#include "runtime_view.hpp"

namespace ember::ui {

std::optional<ApiResponse> rejected(ApiQuery& query) {
  Status checked = query.finish();
  if (checked) return std::nullopt;
  return error_response(400, checked.message());
}

std::optional<ApiResponse> read_selection(const ApiRequest& request,
                                          const report::TimeRange& range,
                                          const report::ReportFilter& filter, bool native,
                                          Window& out) {
  Status read = report::read_report_window(request.store, request.summary, range, filter, out);
  if (!read) return error_response(404, read.message());
  if (!native) out = report::runtime_view(out).window;
  return std::nullopt;
}

void write_span(JsonWriter& json, std::string_view key, const Window& window) {
  json.key(key).begin_object();
  json.field("from", seconds_of(window.start_ns)).field("to", seconds_of(window.end_ns));
  json.field("samples", window.total_samples()).field("frequency_hz", window.frequency_hz);
  json.end_object();
}

ApiResponse json_response(JsonWriter& json) {
  return ApiResponse{200, "application/json", json.take(), ""};
}

}  // namespace ember::ui

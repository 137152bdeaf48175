// GET /api/v1/summary: what the store holds, for the range bar and pickers.
#include "endpoints.hpp"

namespace ember::ui {

ApiResponse summary_endpoint(ApiRequest& request) {
  if (auto bad = rejected(request.query)) return *bad;
  const store::StoreSummary& s = request.summary;
  JsonWriter json;
  json.begin_object();
  json.field("api_version", 1);
  json.field("windows", s.windows);
  if (s.windows) {
    json.field("first", seconds_of(s.first_ns)).field("last", seconds_of(s.last_ns));
  } else {
    json.key("first").null().key("last").null();
  }
  json.field("now", seconds_of(request.now_ns));
  auto list = [&json](std::string_view key, const std::vector<std::string>& items) {
    json.key(key).begin_array();
    for (const std::string& item : items) json.value(item);
    json.end_array();
  };
  list("hosts", s.hosts);
  list("services", s.services);
  list("processes", s.processes);
  json.key("kinds").begin_array();
  for (const std::string& kind : s.kinds) {
    json.begin_object().field("kind", kind);
    const char* color = builtin_frame_kind_color(kind);
    json.field("color", color ? color : "");
    json.end_object();
  }
  json.end_array();
  json.end_object();
  return json_response(json);
}

}  // namespace ember::ui

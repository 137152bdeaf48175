#include "fleet_proxy.hpp"

#include <httplib.h>

namespace ember::server {
namespace {

// A day of the fleet takes ClickHouse a while: the UI waits as long.
constexpr int kReadSeconds = 120;

// The name in `attachment; filename="NAME"`, or "".
std::string filename_of(const std::string& disposition) {
  const std::string key = "filename=\"";
  const std::size_t at = disposition.find(key);
  if (at == std::string::npos) return "";
  const std::size_t end = disposition.find('"', at + key.size());
  if (end == std::string::npos) return "";
  // Only what a file name needs: the name goes into this side's header.
  std::string name;
  for (char c : disposition.substr(at + key.size(), end - at - key.size())) {
    const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-';
    name += safe ? c : '_';
  }
  return name;
}

}  // namespace

Status FleetProxy::make(const std::string& url, std::string token, FleetProxy& out) {
  std::string base = url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  if (base.rfind("http://", 0) != 0 && base.rfind("https://", 0) != 0) {
    return Status::error("--server: '" + url + "' is not an http:// or https:// URL");
  }
  if (!httplib::Client(base).is_valid()) return Status::error("--server: '" + url + "' is not a URL");
  out.url_ = std::move(base);
  out.token_ = std::move(token);
  return Status::ok();
}

ui::ApiResponse FleetProxy::ask(std::string_view path, const ui::Params& params) const {
  httplib::Client client(url_);
  client.set_connection_timeout(10);
  client.set_read_timeout(kReadSeconds);
  httplib::Headers headers;
  if (!token_.empty()) headers.emplace("Authorization", "Bearer " + token_);
  httplib::Params query(params.begin(), params.end());
  httplib::Result result = client.Get(std::string(path), query, headers);
  if (!result) {
    return ui::error_response(502, "cannot reach the fleet server at " + url_ + ": " +
                                       httplib::to_string(result.error()));
  }
  ui::ApiResponse response;
  response.status = result->status;
  response.content_type = result->get_header_value("Content-Type");
  if (response.content_type.empty()) response.content_type = "application/octet-stream";
  response.body = std::move(result->body);
  response.filename = filename_of(result->get_header_value("Content-Disposition"));
  return response;
}

}  // namespace ember::server

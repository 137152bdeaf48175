#include "fleet_fetch.hpp"

#include <httplib.h>

#include "pprof_reader.hpp"

namespace ember::server {
namespace {

constexpr int kServerTimeoutSeconds = 120;

// The message of the API's {"error": {"status": N, "message": "..."}}; the
// body itself when it is not that.
std::string error_message(const std::string& body) {
  const std::string key = "\"message\":\"";
  const std::size_t at = body.find(key);
  if (at == std::string::npos) return body.substr(0, 300);
  std::string out;
  for (std::size_t i = at + key.size(); i < body.size() && body[i] != '"'; ++i) {
    if (body[i] == '\\' && i + 1 < body.size()) ++i;
    out += body[i];
  }
  return out;
}

// GET `path` with `params` and the token; the body of a 200, else an error
// with the server's message.
Status fetch_body(const FleetRequest& request, const std::string& path,
                  const httplib::Params& params, std::string& body) {
  std::string base = request.url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  if (base.rfind("http://", 0) != 0 && base.rfind("https://", 0) != 0) {
    return Status::error("--server: '" + request.url + "' is not an http:// or https:// URL");
  }
  httplib::Client client(base);
  if (!client.is_valid()) return Status::error("--server: '" + request.url + "' is not a URL");
  client.set_connection_timeout(10);
  client.set_read_timeout(kServerTimeoutSeconds);
  httplib::Headers headers;
  if (!request.token.empty()) headers.emplace("Authorization", "Bearer " + request.token);
  httplib::Result result = client.Get(path, params, headers);
  if (!result) {
    return Status::error("cannot reach the server at " + request.url + ": " +
                         httplib::to_string(result.error()));
  }
  if (result->status != 200) {
    return Status::error("the server at " + request.url + " answered " +
                         std::to_string(result->status) + ": " + error_message(result->body));
  }
  body = std::move(result->body);
  return Status::ok();
}

}  // namespace

Status fetch_fleet_window(const FleetRequest& request, Window& out) {
  httplib::Params params(request.params.begin(), request.params.end());
  params.emplace("format", "pprof");
  // The samples as stored: the report applies the runtime view itself.
  params.emplace("view", "native");
  std::string body;
  if (Status got = fetch_body(request, "/api/v1/export", params, body); !got) return got;
  Window window;
  if (Status read = formats::read_pprof(body, window); !read) {
    return Status::error("the server's answer is not a profile: " + read.message());
  }
  out = std::move(window);
  return Status::ok();
}

Status fetch_fleet_functions(const FleetRequest& request, report::TopTable& out) {
  const httplib::Params params(request.params.begin(), request.params.end());
  std::string body;
  if (Status got = fetch_body(request, "/api/v1/functions", params, body); !got) return got;
  return read_functions_answer(body, out);
}

Status fetch_fleet_diff(const FleetRequest& request, report::DiffTable& out) {
  httplib::Params params(request.params.begin(), request.params.end());
  params.emplace("tree", "0");
  std::string body;
  if (Status got = fetch_body(request, "/api/v1/diff", params, body); !got) return got;
  return read_diff_answer(body, out);
}

}  // namespace ember::server

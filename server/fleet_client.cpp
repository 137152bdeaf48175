#include "fleet_client.hpp"

#include <httplib.h>

#include <algorithm>
#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>
#include <fstream>
#include <set>
#include <sstream>

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

class WindowStore : public store::StoreReader {
 public:
  explicit WindowStore(Window window) : window_(std::move(window)) {
    summary_.windows = window_.samples.empty() ? 0 : 1;
    summary_.first_ns = window_.start_ns;
    summary_.last_ns = window_.end_ns;
    std::set<std::string> hosts, services, processes, kinds;
    for (const ProcessInfo& p : window_.processes) {
      if (!p.service.empty()) services.insert(p.service);
      if (!p.comm.empty()) processes.insert(p.comm);
    }
    for (const auto& set : window_.label_sets) {
      for (const Label& l : set) {
        if (l.key == "host") hosts.insert(l.value);
      }
    }
    for (const BuiltinFrameKind& k : kBuiltinFrameKinds) kinds.insert(k.kind);
    for (const Frame& f : window_.frames) kinds.insert(f.kind);
    summary_.hosts.assign(hosts.begin(), hosts.end());
    summary_.services.assign(services.begin(), services.end());
    summary_.processes.assign(processes.begin(), processes.end());
    summary_.kinds.assign(kinds.begin(), kinds.end());
  }

  store::StoreSummary summary() const override { return summary_; }

  // The server cut the range: what it sent is the range's.
  Status read(std::int64_t, std::int64_t, Window& merged) const override {
    merged = window_;
    return Status::ok();
  }

  Status windows(std::int64_t, std::int64_t, std::vector<store::WindowSpan>& spans) const override {
    spans = {store::WindowSpan{window_.start_ns, window_.end_ns}};
    return Status::ok();
  }

 private:
  Window window_;
  store::StoreSummary summary_;
};

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

// The API's seconds ("1795633512.25", at most nanosecond digits) as
// nanoseconds, digit by digit: a double would round them.
std::int64_t ns_of_seconds(const std::string& text) {
  const std::size_t point = text.find('.');
  std::int64_t ns = std::stoll(text.substr(0, point)) * 1'000'000'000;
  if (point == std::string::npos) return ns;
  std::string digits = text.substr(point + 1, 9);
  digits.resize(9, '0');
  const std::int64_t fraction = std::stoll(digits);
  return text[0] == '-' ? ns - fraction : ns + fraction;
}

// A table's rows at most: --limit 0 (all) is as many as the API gives; the
// table says how many more there are.
std::string limit_param(const report::ReportRequest& request) {
  const std::size_t most = 100'000;
  return std::to_string(request.limit && request.limit < most ? request.limit : most);
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

Status read_functions_answer(const std::string& json, report::TopTable& out) {
  namespace pt = boost::property_tree;
  pt::ptree answer;
  try {
    std::istringstream in(json);
    pt::read_json(in, answer);
    report::TopTable top;
    top.start_ns = ns_of_seconds(answer.get<std::string>("range.from"));
    top.end_ns = ns_of_seconds(answer.get<std::string>("range.to"));
    top.frequency_hz = answer.get<std::uint32_t>("range.frequency_hz");
    top.table.samples = answer.get<std::uint64_t>("range.samples");
    top.view_changed = answer.get<std::uint64_t>("view_changed");
    for (const auto& [key, row] : answer.get_child("functions")) {
      top.table.functions.push_back(report::FunctionStats{
          row.get<std::string>("name"), row.get<std::string>("kind"), row.get<std::string>("file"),
          row.get<std::uint64_t>("self"), row.get<std::uint64_t>("total")});
    }
    const auto matched = answer.get<std::size_t>("matched");
    top.table.left_out =
        matched > top.table.functions.size() ? matched - top.table.functions.size() : 0;
    out = std::move(top);
  } catch (const pt::ptree_error& e) {
    return Status::error(std::string("the server's functions answer cannot be read: ") + e.what());
  }
  return Status::ok();
}

void top_params(const report::ReportRequest& request,
                std::multimap<std::string, std::string>& params) {
  params.emplace("view", request.native ? "native" : "runtime");
  params.emplace("sort", request.sort_by_total ? "total" : "self");
  params.emplace("limit", limit_param(request));
}

Status diff_params(const report::ReportRequest& request, std::int64_t now_ns,
                   std::multimap<std::string, std::string>& params) {
  report::TimeRange second;
  if (Status parsed = report::parse_time_range(request.diff, now_ns, second); !parsed) {
    return Status::error("--diff: " + parsed.message());
  }
  for (auto [key, base] : {std::pair{"from", "base_from"}, {"to", "base_to"}}) {
    auto given = params.extract(key);
    if (!given.empty()) params.emplace(base, given.mapped());
  }
  params.emplace("from", std::to_string(second.from_ns));
  params.emplace("to", std::to_string(second.to_ns));
  params.emplace("view", request.native ? "native" : "runtime");
  params.emplace("limit", limit_param(request));
  return Status::ok();
}

Status fetch_fleet_diff(const FleetRequest& request, report::DiffTable& out) {
  httplib::Params params(request.params.begin(), request.params.end());
  params.emplace("tree", "0");
  std::string body;
  if (Status got = fetch_body(request, "/api/v1/diff", params, body); !got) return got;
  return read_diff_answer(body, out);
}

Status read_diff_answer(const std::string& json, report::DiffTable& out) {
  namespace pt = boost::property_tree;
  pt::ptree answer;
  try {
    std::istringstream in(json);
    pt::read_json(in, answer);
    report::DiffTable diff;
    auto range = [&](const char* key, report::DiffRange& r) {
      const pt::ptree& span = answer.get_child(key);
      r.start_ns = ns_of_seconds(span.get<std::string>("from"));
      r.end_ns = ns_of_seconds(span.get<std::string>("to"));
      r.samples = span.get<std::uint64_t>("samples");
      r.view_changed = span.get<std::uint64_t>("view_changed");
    };
    range("before", diff.before);
    range("after", diff.after);
    for (const auto& [key, row] : answer.get_child("functions")) {
      report::FunctionDelta d;
      d.name = row.get<std::string>("name");
      d.kind = row.get<std::string>("kind");
      d.file = row.get<std::string>("file");
      d.total_before = row.get<double>("before");
      d.total_after = row.get<double>("after");
      d.self_before = row.get<double>("self_before");
      d.self_after = row.get<double>("self_after");
      diff.deltas.push_back(std::move(d));
    }
    const auto matched = answer.get<std::size_t>("matched");
    diff.left_out = matched > diff.deltas.size() ? matched - diff.deltas.size() : 0;
    out = std::move(diff);
  } catch (const pt::ptree_error& e) {
    return Status::error(std::string("the server's diff answer cannot be read: ") + e.what());
  }
  return Status::ok();
}

std::unique_ptr<store::StoreReader> window_store(Window window) {
  return std::make_unique<WindowStore>(std::move(window));
}

Status read_token(const std::string& path, std::string& token) {
  std::ifstream in(path);
  if (!in) return Status::error("cannot read the token file " + path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    if (words >> token && token[0] != '#') return Status::ok();
  }
  return Status::error("the token file " + path + " holds no token");
}

}  // namespace ember::server

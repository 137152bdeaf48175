#include "fleet_client.hpp"

#include <algorithm>
#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>
#include <fstream>
#include <set>
#include <sstream>

namespace ember::server {
namespace {

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

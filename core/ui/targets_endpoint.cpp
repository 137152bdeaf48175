// GET /api/v1/targets: what a person can pick (services, processes by name,
// containers, pods, single processes, and hosts where samples say theirs) with their samples in the range, the
// biggest first; `q` keeps those whose label holds it (any case).
#include <algorithm>
#include <cctype>
#include <map>
#include <tuple>

#include "endpoints.hpp"
#include "window_process_key.hpp"

namespace ember::ui {
namespace {

struct Target {
  std::string param;  // the filter parameter that selects it: service, process, ...
  std::string value;
  std::string label;
  std::uint64_t samples = 0;
  std::uint32_t processes = 0;
};

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::vector<Target> targets_of(const Window& window) {
  std::map<std::uint32_t, std::uint64_t> per_process;  // by window_process_key
  for (const StackCount& s : window.samples) per_process[window_process_key(s)] += s.count;
  std::map<std::tuple<std::string, std::string>, Target> targets;
  auto add = [&](const std::string& param, const std::string& value, const std::string& label,
                 std::uint64_t samples) {
    if (value.empty()) return;
    Target& t = targets[{param, value}];
    t.param = param;
    t.value = value;
    if (!label.empty()) t.label = label;
    t.samples += samples;
    ++t.processes;
  };
  std::map<std::uint32_t, std::vector<const ProcessInfo*>> pid_programs;
  for (const ProcessInfo& p : window.processes) {
    auto found = per_process.find(window_process_key(p));
    if (found == per_process.end()) continue;
    std::uint64_t n = found->second;
    add("service", p.service, p.service, n);
    add("process", p.comm, p.comm, n);
    std::string container =
        p.container_name.empty() ? p.container_id.substr(0, 12) : p.container_name;
    add("container", container, container, n);
    add("pod", p.pod_name, p.pod_name, n);
    add("pid", std::to_string(p.pid), "", n);
    pid_programs[p.pid].push_back(&p);
  }
  // A pid is one target whatever it ran (a shell's child, then what it
  // exec'd; a pid reused): labelled by its newest program, naming the others.
  for (const auto& [pid, programs] : pid_programs) {
    const ProcessInfo* newest = programs.front();
    for (const ProcessInfo* p : programs) {
      if (p->instance == 0) newest = p;
    }
    std::string label = newest->comm + " (pid " + std::to_string(pid) + ")";
    if (!newest->cmdline.empty()) label += " " + newest->cmdline.substr(0, 120);
    std::vector<std::string_view> others;
    for (const ProcessInfo* p : programs) {
      if (p->comm != newest->comm &&
          std::find(others.begin(), others.end(), p->comm) == others.end()) {
        others.push_back(p->comm);
      }
    }
    for (std::size_t i = 0; i < others.size(); ++i) {
      label += (i == 0 ? "; before it " : ", ") + std::string(others[i]);
    }
    targets[{"pid", std::to_string(pid)}].label = std::move(label);
  }
  // Hosts, where samples carry a host label (the fleet server's do): picked
  // as label=host=NAME.
  std::map<std::pair<std::string_view, std::uint32_t>, std::uint64_t> per_host_pid;
  for (const StackCount& s : window.samples) {
    for (const Label& l : window.labels_of(s)) {
      if (l.key == "host") per_host_pid[{l.value, s.pid}] += s.count;
    }
  }
  for (const auto& [host_pid, n] : per_host_pid) {
    const std::string host(host_pid.first);
    add("label", "host=" + host, "host " + host, n);
  }
  std::vector<Target> out;
  for (auto& [key, target] : targets) out.push_back(std::move(target));
  return out;
}

}  // namespace

ApiResponse targets_endpoint(ApiRequest& request) {
  ApiQuery& query = request.query;
  Selection everything{request.range(), {}, true};
  everything.counts = true;  // the processes' samples, not their stacks
  std::string search = lower(query.text("q"));
  std::int64_t limit = query.number("limit", 1, 10000, 200);
  if (auto bad = rejected(query)) return *bad;

  SharedWindow window;
  if (auto missing = read_selection(request, everything, window)) return *missing;
  std::vector<Target> targets = targets_of(*window);
  std::erase_if(targets, [&](const Target& t) {
    return !search.empty() && lower(t.label).find(search) == std::string::npos;
  });
  std::stable_sort(targets.begin(), targets.end(),
                   [](const Target& a, const Target& b) { return a.samples > b.samples; });
  std::size_t matched = targets.size();
  if (targets.size() > static_cast<std::size_t>(limit)) targets.resize(limit);

  JsonWriter json;
  json.begin_object();
  write_span(json, "range", *window);
  json.field("matched", static_cast<std::uint64_t>(matched));
  json.key("targets").begin_array();
  for (const Target& t : targets) {
    json.begin_object();
    json.field("param", t.param).field("value", t.value).field("label", t.label);
    json.field("samples", t.samples).field("processes", t.processes);
    json.end_object();
  }
  json.end_array();
  json.end_object();
  return json_response(json);
}

}  // namespace ember::ui

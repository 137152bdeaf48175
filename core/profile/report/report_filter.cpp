#include "report_filter.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "window_process_key.hpp"
#include "window_without_samples.hpp"

namespace ember::report {
namespace {

template <typename T>
bool any_of_or_empty(const std::vector<T>& wanted, auto&& matches) {
  return wanted.empty() || std::any_of(wanted.begin(), wanted.end(), matches);
}

bool thread_matches(const ReportFilter& filter, const std::string* name, std::uint32_t tid) {
  return any_of_or_empty(filter.threads, [&](const std::string& wanted) {
    return (name && wanted == *name) || wanted == std::to_string(tid);
  });
}

}  // namespace

bool process_matches(const ReportFilter& filter, const ProcessInfo* p, std::uint32_t pid) {
  if (!any_of_or_empty(filter.pids, [&](std::uint32_t want) { return want == pid; })) return false;
  if (filter.processes.empty() && filter.containers.empty() && filter.services.empty() &&
      filter.pods.empty() && filter.cmdlines.empty()) {
    return true;
  }
  if (!p) return false;
  std::string exe_name = std::filesystem::path(p->exe).filename().string();
  return any_of_or_empty(filter.processes,
                         [&](const std::string& n) { return n == p->comm || n == exe_name; }) &&
         any_of_or_empty(filter.containers,
                         [&](const std::string& c) {
                           return (!p->container_name.empty() && c == p->container_name) ||
                                  (!p->container_id.empty() && p->container_id.rfind(c, 0) == 0);
                         }) &&
         any_of_or_empty(filter.services, [&](const std::string& s) { return s == p->service; }) &&
         any_of_or_empty(filter.pods, [&](const std::string& n) {
           return !p->pod_name.empty() && n == p->pod_name;
         }) &&
         any_of_or_empty(filter.cmdlines, [&](const std::string& part) {
           return p->cmdline.find(part) != std::string::npos;
         });
}

std::string ReportFilter::describe() const {
  std::string out;
  auto add = [&out](const std::string& flag, const std::string& value) {
    if (!out.empty()) out += ' ';
    out += flag + ' ' + value;
  };
  for (std::uint32_t pid : pids) add("--pid", std::to_string(pid));
  for (const auto& p : processes) add("--process", p);
  for (const auto& c : containers) add("--container", c);
  for (const auto& s : services) add("--service", s);
  for (const auto& n : pods) add("--pod", n);
  for (const auto& k : kinds) add("--kind", k);
  for (const auto& l : labels) add("--label", l);
  for (const auto& c : cmdlines) add("--cmdline", c);
  for (const auto& t : threads) add("--thread", t);
  return out;
}

Status parse_kind(const std::string& name, std::string& out) {
  if (!is_valid_frame_kind_name(name)) {
    return Status::error("'" + name +
                         "' is not a kind name (python, native, kernel, ...: lowercase letters, "
                         "digits and _)");
  }
  out = name;
  return Status::ok();
}

Status parse_label(const std::string& text, std::string& out) {
  std::size_t equals = text.find('=');
  if (equals == std::string::npos || equals == 0) {
    return Status::error("'" + text + "' is not key=value (--label goroutine=worker)");
  }
  out = text;
  return Status::ok();
}

namespace {

// Calls keep(sample) for each sample `filter` keeps, in order.
template <typename Keep>
void for_each_kept(const Window& window, const ReportFilter& filter, Keep&& keep) {
  std::map<std::uint32_t, const ProcessInfo*> processes;  // by window_process_key
  for (const ProcessInfo& p : window.processes) processes[window_process_key(p)] = &p;
  std::map<std::pair<std::uint32_t, std::uint32_t>, const std::string*> thread_names;
  for (const ThreadInfo& t : window.threads) thread_names[{t.pid, t.tid}] = &t.name;
  std::map<std::uint32_t, bool> process_kept;  // by window_process_key
  std::vector<char> stack_kept(window.stacks.size(), filter.kinds.empty());
  if (!filter.kinds.empty()) {
    for (std::size_t s = 0; s < window.stacks.size(); ++s) {
      for (std::uint32_t f : window.stacks[s]) {
        if (f < window.frames.size() &&
            std::count(filter.kinds.begin(), filter.kinds.end(), window.frames[f].kind)) {
          stack_kept[s] = true;
          break;
        }
      }
    }
  }
  for (const StackCount& sample : window.samples) {
    if (sample.stack >= window.stacks.size() || !stack_kept[sample.stack]) continue;
    if (!any_of_or_empty(filter.labels, [&](const std::string& wanted) {
          std::span<const Label> labels = window.labels_of(sample);
          return std::any_of(labels.begin(), labels.end(), [&](const Label& l) {
            return wanted.size() == l.key.size() + 1 + l.value.size() &&
                   wanted.compare(0, l.key.size(), l.key) == 0 && wanted[l.key.size()] == '=' &&
                   wanted.compare(l.key.size() + 1, std::string::npos, l.value) == 0;
          });
        })) {
      continue;
    }
    if (!filter.threads.empty()) {
      auto name = thread_names.find({sample.pid, sample.tid});
      if (!thread_matches(filter, name == thread_names.end() ? nullptr : name->second,
                          sample.tid)) {
        continue;
      }
    }
    auto [it, inserted] = process_kept.try_emplace(window_process_key(sample), false);
    if (inserted) {
      auto p = processes.find(window_process_key(sample));
      it->second = process_matches(filter, p == processes.end() ? nullptr : p->second, sample.pid);
    }
    if (!it->second) continue;
    keep(sample);
  }
}

}  // namespace

std::set<std::uint32_t> selected_pids(const Window& window, const ReportFilter& filter) {
  std::set<std::uint32_t> pids;
  std::uint32_t last = 0;  // samples come by process: one insert per run
  for_each_kept(window, filter, [&](const StackCount& sample) {
    if (pids.empty() || sample.pid != last) pids.insert(last = sample.pid);
  });
  return pids;
}

Window apply_filter(const Window& window, const ReportFilter& filter) {
  Window out = window_without_samples(window, true);
  std::set<std::uint32_t> pids, keys;
  for_each_kept(window, filter, [&](const StackCount& sample) {
    out.samples.push_back(sample);
    pids.insert(sample.pid);
    keys.insert(window_process_key(sample));
  });
  for (const ProcessInfo& p : window.processes) {
    if (keys.count(window_process_key(p))) out.processes.push_back(p);
  }
  for (const ThreadInfo& t : window.threads) {
    if (pids.count(t.pid) && thread_matches(filter, &t.name, t.tid)) out.threads.push_back(t);
  }
  for (const ProcessMetrics& m : window.process_metrics) {
    if (pids.count(m.pid)) out.process_metrics.push_back(m);
  }
  return out;
}

}  // namespace ember::report

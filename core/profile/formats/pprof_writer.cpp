#include "pprof_writer.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "gzip.hpp"
#include "profile.pb.h"
#include "utf8.hpp"
#include "window_process_key.hpp"

#ifndef EMBER_VERSION
#define EMBER_VERSION "unknown"
#endif

namespace ember::formats {
namespace {

namespace pb = perftools::profiles;

class StringTable {
 public:
  explicit StringTable(pb::Profile& profile) : profile_(profile) { index(""); }
  std::int64_t index(const std::string& text) {
    auto [it, inserted] = ids_.try_emplace(text, profile_.string_table_size());
    if (inserted) profile_.add_string_table(valid_utf8(text));
    return it->second;
  }

 private:
  pb::Profile& profile_;
  std::unordered_map<std::string, std::int64_t> ids_;
};

class ProfileBuilder {
 public:
  ProfileBuilder(const Window& window, pb::Profile& profile)
      : window_(window), profile_(profile), strings_(profile) {}

  void build() {
    std::int64_t period = window_.frequency_hz ? 1'000'000'000LL / window_.frequency_hz : 0;
    add_value_type(profile_.add_sample_type(), "samples", "count");
    add_value_type(profile_.add_sample_type(), "cpu", "nanoseconds");
    add_value_type(profile_.mutable_period_type(), "cpu", "nanoseconds");
    profile_.set_period(period);
    profile_.set_default_sample_type(strings_.index("cpu"));
    profile_.set_time_nanos(window_.start_ns);
    profile_.set_duration_nanos(
        window_.end_ns > window_.start_ns ? window_.end_ns - window_.start_ns : 0);
    profile_.add_comment(strings_.index("ember " EMBER_VERSION));
    if (!window_.host.empty()) profile_.add_comment(strings_.index("host " + window_.host));

    for (const ProcessInfo& process : window_.processes) {
      processes_[window_process_key(process)] = &process;
    }
    for (const ThreadInfo& thread : window_.threads) threads_[{thread.pid, thread.tid}] = &thread;

    for (const StackCount& count : window_.samples) {
      if (count.count == 0 || count.stack >= window_.stacks.size()) continue;
      pb::Sample* sample = profile_.add_sample();
      add_locations(*sample, window_.stacks[count.stack]);
      sample->add_value(static_cast<std::int64_t>(count.count));
      sample->add_value(static_cast<std::int64_t>(count.count) * period);
      add_labels(*sample, count, window_.stacks[count.stack]);
    }
  }

 private:
  void add_value_type(pb::ValueType* type, const std::string& name, const std::string& unit) {
    type->set_type(strings_.index(name));
    type->set_unit(strings_.index(unit));
  }

  // Root-first frame indices; pprof wants location ids leaf first.
  void add_locations(pb::Sample& sample, const std::vector<std::uint32_t>& stack) {
    std::vector<std::uint64_t> root_first;
    std::size_t i = 0;
    while (i < stack.size()) {
      std::vector<std::uint32_t> chain{stack[i++]};
      while (i < stack.size() && stack[i] < window_.frames.size() &&
             window_.frames[stack[i]].inlined) {
        chain.push_back(stack[i++]);
      }
      root_first.push_back(location(chain));
    }
    for (auto it = root_first.rbegin(); it != root_first.rend(); ++it) sample.add_location_id(*it);
  }

  std::uint64_t location(const std::vector<std::uint32_t>& chain) {
    auto [it, inserted] = locations_.try_emplace(chain, profile_.location_size() + 1);
    if (!inserted) return it->second;
    pb::Location* location = profile_.add_location();
    location->set_id(it->second);
    const Frame* outer = frame_at(chain.front());
    if (outer && !outer->module.empty()) location->set_mapping_id(mapping(outer->module));
    for (auto frame = chain.rbegin(); frame != chain.rend(); ++frame) {  // innermost first
      pb::Line* line = location->add_line();
      line->set_function_id(function(*frame));
      const Frame* f = frame_at(*frame);
      line->set_line(f ? f->line : 0);
    }
    return it->second;
  }

  const Frame* frame_at(std::uint32_t index) const {
    return index < window_.frames.size() ? &window_.frames[index] : nullptr;
  }

  std::uint64_t function(std::uint32_t frame_index) {
    static const Frame kUnknown{"[unknown]", "", "", 0, frame_kind::unknown, false};
    const Frame* frame = frame_at(frame_index);
    if (!frame) frame = &kUnknown;
    const std::string& name = frame->name.empty() ? kUnknown.name : frame->name;
    const std::string& file = frame->file.empty() ? frame->module : frame->file;
    auto key = std::make_tuple(name, file, frame->kind);
    auto [it, inserted] = functions_.try_emplace(key, profile_.function_size() + 1);
    if (!inserted) return it->second;
    pb::Function* function = profile_.add_function();
    function->set_id(it->second);
    function->set_name(strings_.index(name));
    function->set_system_name(strings_.index(name));
    function->set_filename(strings_.index(file));
    function->set_ember_kind(strings_.index(frame->kind));
    return it->second;
  }

  std::uint64_t mapping(const std::string& module) {
    auto [it, inserted] = mappings_.try_emplace(module, profile_.mapping_size() + 1);
    if (!inserted) return it->second;
    pb::Mapping* mapping = profile_.add_mapping();
    mapping->set_id(it->second);
    mapping->set_filename(strings_.index(module));
    // Frames arrive named: a reader must not try to symbolize addresses.
    mapping->set_has_functions(true);
    mapping->set_has_filenames(true);
    mapping->set_has_line_numbers(true);
    mapping->set_has_inline_frames(true);
    return it->second;
  }

  void add_str(pb::Sample& sample, const std::string& key, const std::string& value) {
    if (value.empty()) return;
    pb::Label* label = sample.add_label();
    label->set_key(strings_.index(key));
    label->set_str(strings_.index(value));
  }

  void add_num(pb::Sample& sample, const std::string& key, std::int64_t value) {
    pb::Label* label = sample.add_label();
    label->set_key(strings_.index(key));
    label->set_num(value);
  }

  void add_labels(pb::Sample& sample, const StackCount& count,
                  const std::vector<std::uint32_t>& stack) {
    add_num(sample, "pid", count.pid);
    add_num(sample, "tid", count.tid);
    // Another program the pid ran (StackCount::instance): only when not 0.
    if (count.instance != 0) add_num(sample, "instance", count.instance);
    if (auto it = processes_.find(window_process_key(count)); it != processes_.end()) {
      const ProcessInfo& p = *it->second;
      add_str(sample, "process", p.comm);
      add_str(sample, "container", p.container_name.empty() ? p.container_id : p.container_name);
      add_str(sample, "container_id", p.container_id);
      add_str(sample, "pod_uid", p.pod_uid);
      add_str(sample, "pod", p.pod_name);
      add_str(sample, "service", p.service);
      add_str(sample, "exe", p.exe);
      add_str(sample, "cmdline", p.cmdline);
    }
    if (auto it = threads_.find({count.pid, count.tid}); it != threads_.end()) {
      add_str(sample, "thread", it->second->name);
    }
    // Each kind in the stack once, in the order the stack (root first) meets them.
    kinds_seen_.clear();
    for (std::uint32_t index : stack) {
      const Frame* frame = frame_at(index);
      std::string_view kind = frame ? std::string_view(frame->kind) : frame_kind::unknown;
      if (std::find(kinds_seen_.begin(), kinds_seen_.end(), kind) == kinds_seen_.end()) {
        kinds_seen_.push_back(kind);
        add_str(sample, "kind", std::string(kind));
      }
    }
    // The runtime plugins' labels, after ember's own.
    for (const Label& label : window_.labels_of(count)) add_str(sample, label.key, label.value);
  }

  const Window& window_;
  pb::Profile& profile_;
  StringTable strings_;
  std::map<std::uint32_t, const ProcessInfo*> processes_;  // by window_process_key
  std::map<std::pair<std::uint32_t, std::uint32_t>, const ThreadInfo*> threads_;
  std::map<std::vector<std::uint32_t>, std::uint64_t> locations_;
  std::map<std::tuple<std::string, std::string, std::string>, std::uint64_t> functions_;
  std::map<std::string, std::uint64_t> mappings_;
  std::vector<std::string_view> kinds_seen_;  // add_labels' scratch
};

}  // namespace

std::string pprof_protobuf(const Window& window, PprofOptions options) {
  pb::Profile profile;
  ProfileBuilder(window, profile).build();
  if (options.metrics) {
    for (const HostMetrics& m : window.host_metrics) {
      pb::EmberHostMetric* out = profile.add_ember_host_metric();
      out->set_time_nanos(m.time_ns);
      out->set_cpu_utilization(m.cpu_utilization);
      out->set_memory_total_bytes(m.memory_total_bytes);
      out->set_memory_available_bytes(m.memory_available_bytes);
    }
    for (const ProcessMetrics& m : window.process_metrics) {
      pb::EmberProcessMetric* out = profile.add_ember_process_metric();
      out->set_time_nanos(m.time_ns);
      out->set_pid(m.pid);
      out->set_cpu_cores(m.cpu_cores);
      out->set_rss_bytes(m.rss_bytes);
    }
  }
  std::string out;
  if (!profile.SerializeToString(&out)) throw std::runtime_error("pprof: cannot serialize");
  return out;
}

std::string pprof_gzip(const Window& window, PprofOptions options) {
  return gzip(pprof_protobuf(window, options));
}

}  // namespace ember::formats

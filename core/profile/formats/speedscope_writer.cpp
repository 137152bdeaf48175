#include "speedscope_writer.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <utility>
#include <vector>

#include "json_string.hpp"
#include "utc_time.hpp"
#include "window_process_key.hpp"

#ifndef EMBER_VERSION
#define EMBER_VERSION "unknown"
#endif

namespace ember::formats {
namespace {

constexpr std::string_view kSchema = "https://www.speedscope.app/file-format-schema.json";

using ThreadKey = std::pair<std::uint32_t, std::uint32_t>;  // pid, tid

// Hands the text so far to the writer once it passes a piece's size, so a
// window of tens of MB of JSON is never held whole; without a writer the
// text stays whole (speedscope_json).
class Spill {
 public:
  static constexpr std::size_t kPieceBytes = 64 * 1024;
  explicit Spill(const SpeedscopePieceWriter* write) : write_(write) {}

  void operator()(std::string& out) {
    if (write_ && out.size() >= kPieceBytes) flush(out);
  }
  Status finish(std::string& out) {
    if (write_ && !out.empty()) flush(out);
    return status_;
  }

 private:
  void flush(std::string& out) {
    if (status_) status_ = (*write_)(out);
    out.clear();
  }
  const SpeedscopePieceWriter* write_;
  Status status_ = Status::ok();
};

struct Profile {
  std::string name;
  std::map<std::uint32_t, std::uint64_t> weights;  // stack -> count, in stack order
  std::uint64_t total = 0;
};

void append_key(std::string& out, std::string_view key) {
  append_json_string(out, key);
  out += ':';
}

void append_frames(std::string& out, const Window& window, Spill& spill) {
  out += "\"shared\":{\"frames\":[";
  for (std::size_t i = 0; i < window.frames.size(); ++i) {
    const Frame& frame = window.frames[i];
    if (i) out += ',';
    out += '{';
    append_key(out, "name");
    append_json_string(out, frame.name.empty() ? std::string_view("[unknown]") : frame.name);
    if (!frame.file.empty()) {
      out += ',';
      append_key(out, "file");
      append_json_string(out, frame.file);
    }
    if (frame.line != 0) out += ",\"line\":" + std::to_string(frame.line);
    out += '}';
    spill(out);
  }
  out += "]}";
}

// Profiles by (pid, tid): the order people look for them in (the processes
// that shared a pid apart).
std::map<ThreadKey, Profile> build_profiles(const Window& window) {
  std::map<std::uint32_t, std::string> comms;  // window_process_key -> comm
  for (const ProcessInfo& process : window.processes) {
    comms[window_process_key(process)] = process.comm;
  }
  std::map<ThreadKey, std::string> thread_names;
  for (const ThreadInfo& thread : window.threads)
    thread_names[{thread.pid, thread.tid}] = thread.name;
  auto or_unknown = [](const std::string& s) { return s.empty() ? std::string("[unknown]") : s; };

  std::map<ThreadKey, Profile> profiles;
  for (const StackCount& sample : window.samples) {
    if (sample.count == 0 || sample.stack >= window.stacks.size()) continue;
    Profile& profile = profiles[{window_process_key(sample), sample.tid}];
    if (profile.name.empty()) {
      profile.name = or_unknown(comms[window_process_key(sample)]) + " (pid " +
                     std::to_string(sample.pid) + ") / " +
                     or_unknown(thread_names[{sample.pid, sample.tid}]) + " (tid " +
                     std::to_string(sample.tid) + ")";
    }
    profile.weights[sample.stack] += sample.count;
    profile.total += sample.count;
  }
  return profiles;
}

void append_profile(std::string& out, const Window& window, const Profile& profile,
                    Spill& spill) {
  out += "{\"type\":\"sampled\",";
  append_key(out, "name");
  append_json_string(out, profile.name);
  out += ",\"unit\":\"none\",\"startValue\":0,\"endValue\":" + std::to_string(profile.total);
  out += ",\"samples\":[";
  bool first = true;
  for (const auto& [stack, weight] : profile.weights) {
    if (!first) out += ',';
    first = false;
    out += '[';
    const auto& frames = window.stacks[stack];
    for (std::size_t i = 0; i < frames.size(); ++i) {
      if (i) out += ',';
      out += std::to_string(frames[i]);
    }
    out += ']';
    spill(out);
  }
  out += "],\"weights\":[";
  first = true;
  for (const auto& [stack, weight] : profile.weights) {
    if (!first) out += ',';
    first = false;
    out += std::to_string(weight);
    spill(out);
  }
  out += "]}";
}

// A double as JSON (which has no NaN or infinity).
std::string json_number(double value) {
  if (!std::isfinite(value)) return "0";
  char text[32];
  std::snprintf(text, sizeof(text), "%.4g", value);
  return text;
}

// Utilisation steps as arrays of numbers (thousands per window: keep them small).
void append_metrics(std::string& out, const Window& window, Spill& spill) {
  out +=
      "\"host_metrics\":{\"fields\":[\"time_ns\",\"cpu_utilization\",\"memory_total_bytes\","
      "\"memory_available_bytes\"],\"steps\":[";
  for (std::size_t i = 0; i < window.host_metrics.size(); ++i) {
    const HostMetrics& m = window.host_metrics[i];
    if (i) out += ',';
    out += '[' + std::to_string(m.time_ns) + ',' + json_number(m.cpu_utilization) + ',' +
           std::to_string(m.memory_total_bytes) + ',' + std::to_string(m.memory_available_bytes) +
           ']';
    spill(out);
  }
  out +=
      "]},\n\"process_metrics\":{\"fields\":[\"time_ns\",\"pid\",\"cpu_cores\",\"rss_bytes\"],"
      "\"steps\":[";
  for (std::size_t i = 0; i < window.process_metrics.size(); ++i) {
    const ProcessMetrics& m = window.process_metrics[i];
    if (i) out += ',';
    out += '[' + std::to_string(m.time_ns) + ',' + std::to_string(m.pid) + ',' +
           json_number(m.cpu_cores) + ',' + std::to_string(m.rss_bytes) + ']';
    spill(out);
  }
  out += "]}";
}

void append_ember_metadata(std::string& out, const Window& window, Spill& spill) {
  out += "\"ember\":{";
  out += "\"frequency_hz\":" + std::to_string(window.frequency_hz);
  out += ",\"start_ns\":" + std::to_string(window.start_ns);
  out += ",\"end_ns\":" + std::to_string(window.end_ns);
  out += ",\"lost_samples\":" + std::to_string(window.lost_samples);
  out += ',';
  append_key(out, "host");
  append_json_string(out, window.host);
  out += ",\"processes\":[";
  std::vector<const ProcessInfo*> processes;
  for (const ProcessInfo& process : window.processes) processes.push_back(&process);
  // By pid; the programs a pid ran, oldest first: the newest (instance 0)
  // is the last entry of its pid.
  std::sort(processes.begin(), processes.end(), [](const ProcessInfo* a, const ProcessInfo* b) {
    return a->pid != b->pid ? a->pid < b->pid : a->instance > b->instance;
  });
  for (std::size_t i = 0; i < processes.size(); ++i) {
    const ProcessInfo& p = *processes[i];
    if (i) out += ',';
    out += "{\"pid\":" + std::to_string(p.pid) + ',';
    if (p.instance) out += "\"instance\":" + std::to_string(p.instance) + ',';
    append_key(out, "comm");
    append_json_string(out, p.comm);
    out += ',';
    append_key(out, "exe");
    append_json_string(out, p.exe);
    out += ',';
    append_key(out, "cmdline");
    append_json_string(out, p.cmdline);
    out += ',';
    append_key(out, "container_id");
    append_json_string(out, p.container_id);
    out += ',';
    append_key(out, "container_name");
    append_json_string(out, p.container_name);
    out += ',';
    append_key(out, "pod_uid");
    append_json_string(out, p.pod_uid);
    out += ',';
    append_key(out, "pod_name");
    append_json_string(out, p.pod_name);
    out += ',';
    append_key(out, "service");
    append_json_string(out, p.service);
    out += '}';
    spill(out);
  }
  out += "],\n";
  append_metrics(out, window, spill);
  out += ",\"frame_kinds\":[";
  for (std::size_t i = 0; i < window.frames.size(); ++i) {
    if (i) out += ',';
    append_json_string(out, window.frames[i].kind);
    spill(out);
  }
  out += "],\"inlined_frames\":[";
  bool first = true;
  for (std::size_t i = 0; i < window.frames.size(); ++i) {
    if (!window.frames[i].inlined) continue;
    if (!first) out += ',';
    first = false;
    out += std::to_string(i);
    spill(out);
  }
  out += "]}";
}

// The whole file into `out`, or in pieces to `write` when it is given.
Status render_speedscope(const Window& window, const SpeedscopeOptions& options,
              const SpeedscopePieceWriter* write, std::string& out) {
  Spill spill(write);
  std::map<ThreadKey, Profile> profiles = build_profiles(window);

  // Open on the busiest thread: the one most people came to see.
  std::size_t active = 0;
  std::uint64_t busiest = 0;
  std::size_t index = 0;
  for (const auto& [key, profile] : profiles) {
    if (profile.total > busiest) {
      busiest = profile.total;
      active = index;
    }
    ++index;
  }

  out = "{";
  append_key(out, "$schema");
  append_json_string(out, kSchema);
  out += ',';
  append_key(out, "exporter");
  append_json_string(out, "ember " EMBER_VERSION);
  out += ',';
  append_key(out, "name");
  append_json_string(out,
                     options.name.empty() ? "ember " + utc_iso8601(window.start_ns) : options.name);
  out += ",\"activeProfileIndex\":" + std::to_string(active) + ",\n";
  append_frames(out, window, spill);
  out += ",\n\"profiles\":[";
  bool first = true;
  for (const auto& [key, profile] : profiles) {
    out += first ? "\n" : ",\n";
    first = false;
    append_profile(out, window, profile, spill);
  }
  out += "],\n";
  append_ember_metadata(out, window, spill);
  out += "}\n";
  return spill.finish(out);
}

}  // namespace

std::string speedscope_json(const Window& window, const SpeedscopeOptions& options) {
  std::string out;
  render_speedscope(window, options, nullptr, out);
  return out;
}

Status write_speedscope(const Window& window, const SpeedscopeOptions& options,
                        const SpeedscopePieceWriter& write) {
  std::string piece;
  return render_speedscope(window, options, &write, piece);
}

}  // namespace ember::formats

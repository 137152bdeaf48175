#include "window_rows.hpp"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "byte_codec.hpp"
#include "window_process_key.hpp"

namespace ember::server {
namespace {

constexpr std::int64_t kNsPerMs = 1'000'000;
constexpr std::int64_t kNsPerS = 1'000'000'000;

// ClickHouse's escapes: a backslash before what would end a field, a row or
// (inside an array's quoted element) the element.
void put_escaped(std::string& out, std::string_view text, bool quoted) {
  for (char c : text) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\0': out += "\\0"; break;
      case '\'': out += quoted ? "\\'" : "'"; break;
      default: out += c;
    }
  }
}

// An Array(String) field: ['a','b'], read by ClickHouse from the raw field.
void put_string_array(std::string& out, const std::vector<std::string_view>& items) {
  out += '[';
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += '\'';
    put_escaped(out, items[i], true);
    out += '\'';
  }
  out += ']';
}

template <typename... Fields>
void put_row(std::string& out, const Fields&... fields) {
  bool first = true;
  auto one = [&](const auto& field) {
    if (!first) out += '\t';
    first = false;
    using T = std::decay_t<decltype(field)>;
    if constexpr (std::is_arithmetic_v<T>) {
      out += std::to_string(field);
    } else {
      put_field(out, field);
    }
  };
  (one(fields), ...);
  out += '\n';
}

}  // namespace

void put_field(std::string& out, std::string_view text) { put_escaped(out, text, false); }

const char* const kFrameColumns = "frame_id, name, file, line, module, kind, inlined";
const char* const kStackColumns = "stack_id, frame_ids";
const char* const kSampleColumns =
    "ts, duration_ms, sample_rate, host, app, service, container, pod, process, pid, tid, "
    "stack_id, leaf_frame_id, labels.key, labels.value, count, entry, thread, exe, cmdline";

const char* const kHostMetricColumns =
    "ts, time_ms, host, cpu_utilization, memory_total, memory_available";
const char* const kProcessMetricColumns = "ts, time_ms, host, pid, cpu_cores, rss_bytes";

std::uint64_t frame_id(const Frame& frame) {
  std::string key;
  for (std::string_view part : {std::string_view(frame.name), std::string_view(frame.file),
                                std::string_view(frame.module), std::string_view(frame.kind)}) {
    key += part;
    key += '\0';
  }
  key += std::to_string(frame.line);
  key += frame.inlined ? '\1' : '\0';
  return store::stable_hash(key);
}

std::uint64_t stack_id(const std::vector<std::uint64_t>& frame_ids) {
  return store::stable_hash(std::string_view(reinterpret_cast<const char*>(frame_ids.data()),
                                             frame_ids.size() * sizeof(std::uint64_t)));
}

WindowRows window_rows(const Window& window, const IngestParams& params, const std::string& entry,
                       KnownRows known) {
  WindowRows rows;
  std::vector<std::uint64_t> frame_ids(window.frames.size());
  for (std::size_t i = 0; i < window.frames.size(); ++i) {
    const Frame& f = window.frames[i];
    frame_ids[i] = frame_id(f);
    if (known.frames && known.frames->contains(frame_ids[i])) continue;
    rows.frame_ids.push_back(frame_ids[i]);
    put_row(rows.frames, frame_ids[i], f.name, f.file, f.line, f.module, f.kind,
            static_cast<unsigned>(f.inlined));
  }
  std::vector<std::uint64_t> stack_ids(window.stacks.size());
  std::vector<std::uint64_t> leaf_ids(window.stacks.size());
  std::vector<std::uint64_t> ids;
  for (std::size_t i = 0; i < window.stacks.size(); ++i) {
    ids.clear();
    for (std::uint32_t frame : window.stacks[i]) {
      ids.push_back(frame < frame_ids.size() ? frame_ids[frame] : 0);
    }
    stack_ids[i] = stack_id(ids);
    leaf_ids[i] = ids.empty() ? 0 : ids.back();
    if (known.stacks && known.stacks->contains(stack_ids[i])) continue;
    rows.stack_ids.push_back(stack_ids[i]);
    rows.stacks += std::to_string(stack_ids[i]);
    rows.stacks += "\t[";
    for (std::size_t j = 0; j < ids.size(); ++j) {
      if (j) rows.stacks += ',';
      rows.stacks += std::to_string(ids[j]);
    }
    rows.stacks += "]\n";
  }

  // The window's span: the profile's own times, else the request's.
  std::int64_t start_ns = window.start_ns, end_ns = window.end_ns;
  if (start_ns <= 0) {
    start_ns = params.from_s * kNsPerS;
    end_ns = std::max(params.until_s, params.from_s) * kNsPerS;
  }
  const std::int64_t ts = start_ns / kNsPerS;
  const std::int64_t duration_ms =
      std::clamp<std::int64_t>((end_ns - start_ns) / kNsPerMs, 0, UINT32_MAX);
  const std::uint32_t rate = window.frequency_hz ? window.frequency_hz : params.sample_rate;

  std::unordered_map<std::uint32_t, const ProcessInfo*> processes;  // by window_process_key
  for (const ProcessInfo& p : window.processes) processes.emplace(window_process_key(p), &p);
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::string_view> threads;
  for (const ThreadInfo& t : window.threads) threads.emplace(std::pair{t.pid, t.tid}, t.name);
  const ProcessInfo none;
  std::vector<std::string_view> keys, values;
  for (const StackCount& s : window.samples) {
    if (s.count == 0 || s.stack >= window.stacks.size()) continue;
    auto it = processes.find(window_process_key(s));
    const ProcessInfo& p = it == processes.end() ? none : *it->second;
    const std::string& service =
        !p.service.empty() ? p.service : (window.processes.empty() ? params.app : p.service);
    const std::string& container = p.container_name.empty() ? p.container_id : p.container_name;
    const std::string& pod = p.pod_name.empty() ? p.pod_uid : p.pod_name;
    std::string process = p.comm.empty() && window.processes.empty() ? params.app : p.comm;
    keys.clear();
    values.clear();
    for (const Label& l : params.labels) keys.push_back(l.key), values.push_back(l.value);
    for (const Label& l : window.labels_of(s)) keys.push_back(l.key), values.push_back(l.value);
    rows.samples += std::to_string(ts) + '\t' + std::to_string(duration_ms) + '\t' +
                    std::to_string(rate) + '\t';
    for (std::string_view text : {std::string_view(params.host), std::string_view(params.app),
                                  std::string_view(service), std::string_view(container),
                                  std::string_view(pod), std::string_view(process)}) {
      put_field(rows.samples, text);
      rows.samples += '\t';
    }
    rows.samples += std::to_string(s.pid) + '\t' + std::to_string(s.tid) + '\t' +
                    std::to_string(stack_ids[s.stack]) + '\t' + std::to_string(leaf_ids[s.stack]) +
                    '\t';
    put_string_array(rows.samples, keys);
    rows.samples += '\t';
    put_string_array(rows.samples, values);
    rows.samples += '\t' + std::to_string(s.count) + '\t';
    put_field(rows.samples, entry);
    auto thread = threads.find({s.pid, s.tid});
    for (std::string_view text : {thread == threads.end() ? std::string_view() : thread->second,
                                  std::string_view(p.exe), std::string_view(p.cmdline)}) {
      rows.samples += '\t';
      put_field(rows.samples, text);
    }
    rows.samples += '\n';
    rows.sample_count += s.count;
    ++rows.sample_rows;
  }
  auto when = [&](std::string& out, std::int64_t time_ns) {
    const std::int64_t time_ms = std::max<std::int64_t>(0, time_ns / kNsPerMs);
    out += std::to_string(time_ms / 1000) + '\t' + std::to_string(time_ms) + '\t';
    put_field(out, params.host);
    out += '\t';
  };
  for (const HostMetrics& m : window.host_metrics) {
    when(rows.host_metrics, m.time_ns);
    rows.host_metrics += std::to_string(m.cpu_utilization) + '\t' +
                         std::to_string(m.memory_total_bytes) + '\t' +
                         std::to_string(m.memory_available_bytes) + '\n';
  }
  for (const ProcessMetrics& m : window.process_metrics) {
    when(rows.process_metrics, m.time_ns);
    rows.process_metrics += std::to_string(m.pid) + '\t' + std::to_string(m.cpu_cores) + '\t' +
                            std::to_string(m.rss_bytes) + '\n';
  }
  return rows;
}

}  // namespace ember::server

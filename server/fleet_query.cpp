#include "fleet_query.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>

#include "clickhouse_schema.hpp"
#include "store_reader.hpp"
#include "tsv_reader.hpp"

namespace ember::server {
namespace {

constexpr std::int64_t kNsPerMs = 1'000'000;
constexpr std::int64_t kNsPerS = 1'000'000'000;
// Above the kernel's largest pid (PID_MAX_LIMIT): numbers for a second host's
// process whose pid another host's process already has.
constexpr std::uint32_t kFirstSparePid = 4194304 + 1;

std::uint64_t number(const std::string& text) {
  std::uint64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

std::string in_list(const char* column, const std::vector<std::string>& values) {
  if (values.empty()) return "";
  std::string out = std::string(" AND ") + column + " IN (";
  for (std::size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + sql_quote(values[i]);
  return out + ")";
}

std::string where(const FleetSelection& s) {
  std::string out = "toUInt64(ts) * 1000 + duration_ms > " + std::to_string(s.from_ns / kNsPerMs);
  if (s.to_ns > 0) {
    out += " AND ts < toDateTime(" + std::to_string((s.to_ns + kNsPerS - 1) / kNsPerS) + ")";
  }
  return out + in_list("host", s.hosts) + in_list("service", s.services) +
         in_list("process", s.processes);
}

FleetRead failed(const ClickHouseAnswer& answer) {
  FleetRead read;
  read.unreachable = !answer.reached;
  read.status = Status::error("ClickHouse at " + answer.url +
                              (answer.reached ? " refused a query: " : " is unreachable: ") +
                              answer.describe());
  return read;
}

// Runs `sql` and hands each row's fields to `row`; false (and `read` says
// why) when ClickHouse does not answer it.
template <typename RowFn>
bool query(const ClickHouse& clickhouse, const std::string& sql, FleetRead& read, RowFn&& row) {
  const ClickHouseAnswer answer = clickhouse.run(sql + " FORMAT TabSeparated");
  if (!answer.ok()) {
    read = failed(answer);
    return false;
  }
  for_each_tsv_row(answer.body, row);
  return true;
}

// `sql` reading `table` (ClickHouse::run's external data), as query() does.
template <typename RowFn>
bool query(const ClickHouse& clickhouse, const std::string& sql, const ExternalTable& table,
           FleetRead& read, RowFn&& row) {
  const ClickHouseAnswer answer = clickhouse.run(sql + " FORMAT TabSeparated", table);
  if (!answer.ok()) {
    read = failed(answer);
    return false;
  }
  for_each_tsv_row(answer.body, row);
  return true;
}

// A stacks row as RowBinary gives it: the id (UInt64, little-endian), then
// the frame ids (Array(UInt64): a LEB128 length, then the elements).
struct StackRow {
  std::uint64_t stack_id = 0;
  std::vector<std::uint64_t> frame_ids;
};

// Sorted by id; false when the bytes end inside a row.
bool read_stack_rows(const std::string& body, std::vector<StackRow>& out) {
  static_assert(std::endian::native == std::endian::little, "RowBinary is little-endian");
  const char* at = body.data();
  const char* const end = at + body.size();
  auto u64 = [&](std::uint64_t& value) {
    if (end - at < 8) return false;
    std::memcpy(&value, at, 8);
    at += 8;
    return true;
  };
  while (at < end) {
    StackRow row;
    if (!u64(row.stack_id)) return false;
    std::uint64_t length = 0;
    for (int shift = 0;; shift += 7) {
      if (at == end || shift > 63) return false;
      const auto byte = static_cast<unsigned char>(*at++);
      length |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) break;
    }
    if (length > static_cast<std::uint64_t>(end - at) / 8) return false;
    row.frame_ids.resize(length);
    for (std::uint64_t& id : row.frame_ids) u64(id);
    out.push_back(std::move(row));
  }
  std::sort(out.begin(), out.end(),
            [](const StackRow& a, const StackRow& b) { return a.stack_id < b.stack_id; });
  return true;
}

// The whole hours a read takes from the hourly rollup: those of its windows
// whose hour (toStartOfHour(ts), in ClickHouse's time zone) lies wholly in
// the range, so every window of them overlaps it; the rest come from samples.
// "" when the read takes none.
std::string rollup_hours(const FleetSelection& s, const char* hour) {
  if (s.rollup_from_ns <= 0) return "";
  if (s.to_ns > 0 && s.to_ns - s.from_ns < s.rollup_from_ns) return "";
  // An hour after the range's first second: its windows end after it.
  std::string out = std::string(hour) + " > toDateTime(" + std::to_string(s.from_ns / kNsPerS) + ")";
  if (s.to_ns > 0) {
    // And ends by the range's last second: its windows start before it.
    const std::int64_t to_s = (s.to_ns + kNsPerS - 1) / kNsPerS;
    out += std::string(" AND ") + hour + " <= toDateTime(" + std::to_string(to_s - 3600) + ")";
  }
  return out;
}

// The samples of the selection summed by `columns` (of samples and of
// samples_hourly alike; `label_set` is a sample's labels as one string, as
// the rollup keeps them), as the columns and `c`: the whole hours the rollup
// holds from it, the rest from samples. Each part summed where it is read
// (on a cluster, on the shards).
std::string summed_samples(const FleetSelection& s, const std::vector<std::string>& columns) {
  std::string names, raw;
  for (const std::string& column : columns) {
    names += (names.empty() ? "" : ", ") + column;
    raw += (raw.empty() ? "" : ", ") +
           (column == "label_set" ? std::string(kLabelSet) + " AS label_set" : column);
  }
  const std::string group = " GROUP BY " + names;
  const std::string hours = rollup_hours(s, "hour");
  if (hours.empty()) {
    return "SELECT " + raw + ", sum(count) AS c FROM samples WHERE " + where(s) + group;
  }
  return "SELECT " + names + ", sum(c) AS c FROM (SELECT " + raw +
         ", sum(count) AS c FROM samples WHERE " + where(s) + " AND NOT (" +
         rollup_hours(s, "toStartOfHour(ts)") + ")" + group + " UNION ALL SELECT " + names +
         ", sum(count) AS c FROM samples_hourly WHERE " + hours + in_list("host", s.hosts) +
         in_list("service", s.services) + in_list("process", s.processes) + group + ")" + group;
}

// The ids of the stacks the selection's samples have (each part read where
// a read of its samples reads it), unsummed: a set for IN.
std::string selected_stacks(const FleetSelection& s) {
  const std::string hours = rollup_hours(s, "hour");
  if (hours.empty()) return "SELECT stack_id FROM samples WHERE " + where(s);
  return "SELECT stack_id FROM (SELECT stack_id FROM samples WHERE " + where(s) + " AND NOT (" +
         rollup_hours(s, "toStartOfHour(ts)") + ") UNION ALL SELECT stack_id FROM samples_hourly "
         "WHERE " + hours + in_list("host", s.hosts) + in_list("service", s.services) +
         in_list("process", s.processes) + ")";
}

// The columns a read of `detail` sums the samples by (each row as stored:
// all of them; per process: no thread; counts: no stack either; metrics: no
// stack or labels), the order its rows are taken in, and where each column
// is in a row (the host is first, the pid second). A process's attributes
// (kProcessAttributes) are read once per process (process_attributes), not
// with each of its rows.
struct SampleColumns {
  explicit SampleColumns(FleetDetail detail) {
    const bool per_thread = detail == FleetDetail::threads || detail == FleetDetail::metrics;
    const bool stacks = detail == FleetDetail::threads || detail == FleetDetail::processes;
    const bool labels = detail != FleetDetail::metrics;
    add("host", &host);
    add("pid", &pid);
    add("process", &process);  // a pid another program reused is another process
    if (per_thread) add("tid", &tid);
    if (stacks) add("stack_id", &stack_id);
    if (labels) add("label_set", &label_set);
    if (per_thread) add("thread", &thread);
  }
  std::vector<std::string> grouped;
  std::string names;  // as a SELECT list and the ORDER BY
  std::size_t host = 0, pid = 0, process = 0, tid = 0, stack_id = 0, label_set = 0, thread = 0;

 private:
  void add(const char* name, std::size_t* at) {
    *at = grouped.size();
    grouped.emplace_back(name);
    names += (names.empty() ? "" : ", ") + std::string(name);
  }
};

// What a process is, besides its host and pid, in the order a read takes
// them in after its sample columns.
constexpr const char* kProcessAttributes[] = {"service", "container", "pod",
                                              "process", "exe",       "cmdline"};

// Each process's attributes (host, pid, process, when it last ran, then
// kProcessAttributes): those of its first row in the order a read with
// `columns` took its rows in when they came with them (the sample columns,
// then the attributes), i.e. of the least such tuple among its rows. A
// process is a host's pid and name (`process`): a pid another program reused
// is another process. Each part of the read gives each process's distinct
// attributes with the least sample columns they come with (one row a
// process, as a rule), summed where it is read (on a cluster, on the shards)
// as summed_samples does; the least of those is the process's.
std::string process_attributes(const FleetSelection& s, const SampleColumns& columns) {
  std::string attributes;
  for (const char* column : kProcessAttributes) {
    attributes += std::string(attributes.empty() ? "" : ", ") + column;
  }
  // A row's sample columns after host and pid, as a tuple: `label_set` as
  // samples computes it, or the rollup's column.
  auto first = [&](bool rollup) {
    std::string out;
    for (std::size_t i = 2; i < columns.grouped.size(); ++i) {
      const std::string& column = columns.grouped[i];
      out += (out.empty() ? "" : ", ") +
             (column == "label_set" && !rollup ? std::string(kLabelSet) : column);
    }
    return "tuple(" + (out.empty() ? "0" : out) + ")";
  };
  auto part = [&](bool rollup, const std::string& table, const std::string& filter) {
    return "SELECT host, pid, " + attributes + ", min(" + first(rollup) + ") AS first, max(" +
           (rollup ? "hour" : "ts") + ") AS last_ts FROM " + table + " WHERE " + filter +
           " GROUP BY host, pid, " + attributes;
  };
  const std::string hours = rollup_hours(s, "hour");
  std::string parts = part(false, "samples",
                           hours.empty() ? where(s)
                                         : where(s) + " AND NOT (" +
                                               rollup_hours(s, "toStartOfHour(ts)") + ")");
  if (!hours.empty()) {
    parts += " UNION ALL " + part(true, "samples_hourly",
                                  hours + in_list("host", s.hosts) +
                                      in_list("service", s.services) +
                                      in_list("process", s.processes));
  }
  std::string out = "SELECT host, pid, process, toUInt64(max(last_ts))";
  for (const char* column : kProcessAttributes) {
    out += std::string(", argMin(") + column + ", tuple(first, " + attributes + ")) AS " + column +
           "_first";
  }
  return out + " FROM (" + parts + ") GROUP BY host, pid, process";
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  if (text.empty()) return parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return parts;
}

// The stacks the selection's samples have (`sample_stacks`: their ids),
// then the frames they name, into `window`, each in id order, so the answers
// do not depend on how ClickHouse (or a cluster's shards) returned the rows;
// `stack_index` maps a stack id to its index. Stacks come as RowBinary
// (their arrays of ids as text were most of a day's read) and each once (the
// table folds repeats only when it merges); the frames by the ids the stacks
// name, sent with the statement: no second pass over the samples.
bool read_stacks(const ClickHouse& clickhouse, const std::string& sample_stacks, Window& window,
                 std::unordered_map<std::uint64_t, std::uint32_t>& stack_index, FleetRead& read) {
  std::unordered_map<std::uint64_t, std::uint32_t> frame_index;
  std::vector<StackRow> stacks;
  const ClickHouseAnswer answer =
      clickhouse.run("SELECT stack_id, frame_ids FROM stacks WHERE stack_id IN (" + sample_stacks +
                     ") LIMIT 1 BY stack_id FORMAT RowBinary");
  if (!answer.ok()) {
    read = failed(answer);
    return false;
  }
  if (!read_stack_rows(answer.body, stacks)) {
    read.status = Status::error("ClickHouse at " + answer.url +
                                " answered the stacks' read with damaged RowBinary");
    return false;
  }
  std::vector<std::uint64_t> ids;
  for (const StackRow& stack : stacks)
    ids.insert(ids.end(), stack.frame_ids.begin(), stack.frame_ids.end());
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::vector<std::pair<std::uint64_t, Frame>> frames;
  ExternalTable names{"ids", "id UInt64", ""};
  for (std::uint64_t id : ids) names.rows += std::to_string(id) + '\n';
  if (!ids.empty() && !query(clickhouse,
                             "SELECT frame_id, name, file, line, module, kind, inlined FROM frames "
                             "WHERE frame_id IN ids LIMIT 1 BY frame_id",
                             names, read, [&](const std::vector<std::string>& f) {
                               if (f.size() < 7) return;
                               Frame frame;
                               frame.name = f[1];
                               frame.file = f[2];
                               frame.line = static_cast<std::uint32_t>(number(f[3]));
                               frame.module = f[4];
                               frame.kind = f[5].empty() ? std::string(frame_kind::native) : f[5];
                               frame.inlined = f[6] == "1";
                               frames.emplace_back(number(f[0]), std::move(frame));
                             })) {
    return false;
  }
  std::sort(frames.begin(), frames.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [id, frame] : frames) {
    if (!frame_index.emplace(id, static_cast<std::uint32_t>(window.frames.size())).second) continue;
    window.frames.push_back(std::move(frame));
  }
  for (const StackRow& row : stacks) {
    if (!stack_index.emplace(row.stack_id, static_cast<std::uint32_t>(window.stacks.size())).second)
      continue;
    std::vector<std::uint32_t> stack;
    stack.reserve(row.frame_ids.size());
    for (std::uint64_t id : row.frame_ids) {
      auto it = frame_index.find(id);
      if (it != frame_index.end()) stack.push_back(it->second);
    }
    window.stacks.push_back(std::move(stack));
  }
  return true;
}

}  // namespace

FleetRead read_fleet_window(const ClickHouse& clickhouse, const FleetSelection& selection,
                            Window& out) {
  const std::string filter = where(selection);
  const FleetDetail detail = selection.detail;
  const bool with_stacks = detail == FleetDetail::threads || detail == FleetDetail::processes ||
                           detail == FleetDetail::stacks;
  const std::string sample_stacks = selected_stacks(selection);
  Window window;
  FleetRead read;

  if (!query(clickhouse,
             "SELECT min(toUInt64(ts)), max(toUInt64(ts) * 1000 + duration_ms), max(sample_rate) "
             "FROM samples WHERE " + filter,
             read, [&](const std::vector<std::string>& f) {
               if (f.size() < 3 || number(f[1]) == 0) return;
               window.start_ns = static_cast<std::int64_t>(number(f[0])) * kNsPerS;
               window.end_ns = static_cast<std::int64_t>(number(f[1])) * kNsPerMs;
               window.frequency_hz = static_cast<std::uint32_t>(number(f[2]));
             })) {
    return read;
  }

  // The stacks and their frames, then the samples of those stacks.
  std::unordered_map<std::uint64_t, std::uint32_t> stack_index;
  if (with_stacks && !read_stacks(clickhouse, sample_stacks, window, stack_index, read)) {
    return read;
  }

  if (detail == FleetDetail::stacks) {
    // Each stack's samples alone: no processes, threads, labels or metrics.
    if (!query(clickhouse,
               "SELECT stack_id, c FROM (" + summed_samples(selection, {"stack_id"}) +
                   ") ORDER BY stack_id",
               read, [&](const std::vector<std::string>& f) {
                 if (f.size() < 2) return;
                 auto stack = stack_index.find(number(f[0]));
                 if (stack == stack_index.end()) return;  // its stack row is not there
                 StackCount count;
                 count.stack = stack->second;
                 count.count = number(f[1]);
                 window.samples.push_back(count);
               })) {
      return read;
    }
    out = std::move(window);
    return FleetRead{};
  }

  std::map<std::pair<std::string, std::uint32_t>, std::uint32_t> pids;  // (host, pid) -> pid
  std::map<std::uint32_t, std::string> pid_host;
  using LabelSets = std::map<std::vector<Label>, std::uint32_t>;  // numbered once all are read
  LabelSets label_sets;
  std::vector<LabelSets::iterator> sample_labels;  // each sample's set
  std::vector<std::string> hosts;
  std::uint32_t spare_pid = kFirstSparePid;
  std::set<std::pair<std::uint32_t, std::uint32_t>> threads;  // (pid, tid) named
  std::set<std::pair<std::uint32_t, std::uint32_t>> listed;   // (pid, instance)
  const SampleColumns columns(detail);
  struct Program {
    std::uint64_t last = 0;               // when it last ran (s)
    std::uint32_t instance = 0;           // ProcessInfo::instance
    std::vector<std::string> attributes;  // kProcessAttributes' order
  };
  using ProgramKey = std::tuple<std::string, std::uint32_t, std::string>;  // host, pid, process
  std::map<ProgramKey, Program> programs;
  if (!query(clickhouse, process_attributes(selection, columns), read,
             [&](std::vector<std::string> f) {
               if (f.size() < 4 + std::size(kProcessAttributes)) return;
               Program& program = programs[{f[0], static_cast<std::uint32_t>(number(f[1])), f[2]}];
               program.last = number(f[3]);
               program.attributes.assign(std::make_move_iterator(f.begin() + 4),
                                         std::make_move_iterator(f.end()));
             })) {
    return read;
  }
  // A pid's programs: the newest instance 0, the others 1 and up as they ran.
  for (auto first = programs.begin(); first != programs.end();) {
    auto end = first;
    std::vector<Program*> of_pid;
    while (end != programs.end() && std::get<0>(end->first) == std::get<0>(first->first) &&
           std::get<1>(end->first) == std::get<1>(first->first)) {
      of_pid.push_back(&(end++)->second);
    }
    std::stable_sort(of_pid.begin(), of_pid.end(),
                     [](const Program* a, const Program* b) { return a->last < b->last; });
    for (std::size_t i = 0; i + 1 < of_pid.size(); ++i) {
      of_pid[i]->instance = static_cast<std::uint32_t>(i + 1);
    }
    first = end;
  }
  if (!query(clickhouse,
             "SELECT " + columns.names + ", c FROM (" +
                 summed_samples(selection, columns.grouped) + ") ORDER BY " + columns.names,
             read, [&](const std::vector<std::string>& f) {
    if (f.size() < columns.grouped.size() + 1) return;
    const std::string& host = f[columns.host];
    std::uint32_t stack_index_of = 0;
    if (with_stacks) {
      auto stack = stack_index.find(number(f[columns.stack_id]));
      if (stack == stack_index.end()) return;  // its stack row is not there: nothing to show
      stack_index_of = stack->second;
    }
    const auto original = static_cast<std::uint32_t>(number(f[columns.pid]));
    auto [entry, added] = pids.try_emplace({host, original}, original);
    if (added) {
      // Pid 0: a profile without processes (folded, another profiler's
      // pprof); a number of its own, as a filter takes no pid 0.
      auto [owner, first] = pid_host.try_emplace(original, host);
      if (original == 0 || (!first && owner->second != host)) entry->second = spare_pid++;
      pid_host.try_emplace(entry->second, host);
      if (std::find(hosts.begin(), hosts.end(), host) == hosts.end()) hosts.push_back(host);
    }
    auto program = programs.find({host, original, f[columns.process]});
    const std::uint32_t instance = program != programs.end() ? program->second.instance : 0;
    if (listed.emplace(entry->second, instance).second) {
      ProcessInfo process;
      process.pid = entry->second;
      process.instance = instance;
      if (program != programs.end() && program->second.attributes.size() >= 6) {
        std::vector<std::string>& a = program->second.attributes;  // kProcessAttributes' order
        process.service = std::move(a[0]);
        process.container_name = std::move(a[1]);
        process.pod_name = std::move(a[2]);
        process.comm = std::move(a[3]);
        process.exe = std::move(a[4]);
        process.cmdline = std::move(a[5]);
      }
      window.processes.push_back(std::move(process));
    }
    const auto tid = columns.tid ? static_cast<std::uint32_t>(number(f[columns.tid])) : 0;
    if (columns.thread && !f[columns.thread].empty() &&
        threads.emplace(entry->second, tid).second) {
      window.threads.push_back(ThreadInfo{entry->second, tid, f[columns.thread]});
    }
    if (detail == FleetDetail::metrics) return;  // the processes and threads only
    std::vector<Label> labels{Label{"host", host}};
    for (const std::string& pair : split(f[columns.label_set], '\x01')) {
      const std::size_t mark = pair.find('\x02');
      labels.push_back(Label{pair.substr(0, mark), mark == std::string::npos ? "" : pair.substr(mark + 1)});
    }
    std::sort(labels.begin(), labels.end());
    auto set = label_sets.try_emplace(std::move(labels), 0).first;
    sample_labels.push_back(set);
    StackCount count;
    count.stack = stack_index_of;
    count.pid = entry->second;
    count.instance = instance;
    count.tid = tid;
    count.count = number(f.back());
    window.samples.push_back(count);
  })) {
    return read;
  }
  // The label sets numbered in their order (1 on: 0 is none).
  for (auto& [labels, index] : label_sets) {
    index = static_cast<std::uint32_t>(window.label_sets.size() + 1);
    window.label_sets.push_back(labels);
  }
  for (std::size_t i = 0; i < window.samples.size(); ++i) {
    window.samples[i].labels = sample_labels[i]->second;
  }
  // As StoreReader's reads per process give them: sorted by process, stack
  // and labels, without threads.
  if (detail == FleetDetail::processes || detail == FleetDetail::counts) store::sum_threads(window);
  if (hosts.size() == 1) window.host = hosts[0];

  // The agents' own metrics, where they sent them: their hosts' steps, and
  // each process's CPU and RSS, in place of its CPU from its samples.
  std::set<std::pair<std::string, std::uint32_t>> measured;  // (host, pid as sent)
  if (!hosts.empty()) {
    const std::string when =
        "time_ms > " + std::to_string(selection.from_ns / kNsPerMs) +
        (selection.to_ns > 0 ? " AND time_ms <= " + std::to_string(selection.to_ns / kNsPerMs)
                             : "") +
        in_list("host", hosts);
    if (!query(clickhouse,
               "SELECT time_ms, any(cpu_utilization), any(memory_total), any(memory_available) "
               "FROM host_metrics WHERE " + when + " GROUP BY host, time_ms ORDER BY time_ms, host",
               read, [&](const std::vector<std::string>& f) {
                 if (f.size() < 4) return;
                 window.host_metrics.push_back(HostMetrics{
                     static_cast<std::int64_t>(number(f[0])) * kNsPerMs,
                     std::strtod(f[1].c_str(), nullptr), number(f[2]), number(f[3])});
               })) {
      return read;
    }
    if (!query(clickhouse,
               "SELECT host, pid, time_ms, any(cpu_cores), any(rss_bytes) FROM process_metrics "
               "WHERE " + when + " GROUP BY host, pid, time_ms ORDER BY time_ms, host, pid",
               read, [&](const std::vector<std::string>& f) {
                 if (f.size() < 5) return;
                 const auto original = static_cast<std::uint32_t>(number(f[1]));
                 auto pid = pids.find({f[0], original});
                 if (pid == pids.end()) return;  // no samples in the selection
                 measured.emplace(f[0], original);
                 window.process_metrics.push_back(ProcessMetrics{
                     static_cast<std::int64_t>(number(f[2])) * kNsPerMs, pid->second,
                     std::strtod(f[3].c_str(), nullptr), number(f[4])});
               })) {
      return read;
    }
  }

  // The CPU of each process without metrics of its own, per window, from its samples.
  if (!query(clickhouse,
             "SELECT host, pid, toUInt64(ts), duration_ms, max(sample_rate), sum(count) FROM "
             "samples WHERE " + filter + " GROUP BY host, pid, ts, duration_ms "
             "ORDER BY ts, host, pid, duration_ms",
             read, [&](const std::vector<std::string>& f) {
    if (f.size() < 6) return;
    auto pid = pids.find({f[0], static_cast<std::uint32_t>(number(f[1]))});
    const std::uint64_t duration_ms = number(f[3]), rate = number(f[4]);
    if (pid == pids.end() || duration_ms == 0 || rate == 0 || measured.count(pid->first)) return;
    // The end rounded down to a multiple of the length: many hosts' windows
    // of one length share their steps, so their processes add up.
    const std::uint64_t end_ms = number(f[2]) * 1000 + duration_ms;
    ProcessMetrics metrics;
    metrics.time_ns = static_cast<std::int64_t>(end_ms / duration_ms * duration_ms) * kNsPerMs;
    metrics.pid = pid->second;
    metrics.cpu_cores = static_cast<double>(number(f[5])) / static_cast<double>(rate) /
                        (static_cast<double>(duration_ms) / 1000.0);
    window.process_metrics.push_back(metrics);
  })) {
    return read;
  }
  std::stable_sort(window.process_metrics.begin(), window.process_metrics.end(),
                   [](const ProcessMetrics& a, const ProcessMetrics& b) {
                     return a.time_ns < b.time_ns;
                   });
  out = std::move(window);
  return FleetRead{};
}

FleetRead read_fleet_windows(const ClickHouse& clickhouse, const FleetSelection& selection,
                             std::vector<FleetWindow>& out) {
  std::vector<FleetWindow> windows;
  FleetRead read;
  if (!query(clickhouse,
             "SELECT toUInt64(ts) AS t, max(toUInt64(ts) * 1000 + duration_ms) FROM samples "
             "WHERE " + where(selection) + " GROUP BY host, t ORDER BY t, host",
             read, [&](const std::vector<std::string>& f) {
               if (f.size() < 2) return;
               windows.push_back(FleetWindow{static_cast<std::int64_t>(number(f[0])) * kNsPerS,
                                             static_cast<std::int64_t>(number(f[1])) * kNsPerMs});
             })) {
    return read;
  }
  out = std::move(windows);
  return FleetRead{};
}

FleetRead read_fleet_summary(const ClickHouse& clickhouse, const std::vector<std::string>& hosts,
                             FleetSummary& out) {
  FleetSummary summary;
  FleetRead read;
  const std::string where = hosts.empty() ? "" : " WHERE 1" + in_list("host", hosts);
  if (!query(clickhouse,
             "SELECT count(), min(t), max(e) FROM (SELECT host, toUInt64(ts) AS t, "
             "max(toUInt64(ts) * 1000 + duration_ms) AS e FROM samples" + where +
             " GROUP BY host, t)",
             read, [&](const std::vector<std::string>& f) {
               if (f.size() < 3 || number(f[0]) == 0) return;
               summary.windows = number(f[0]);
               summary.first_ns = static_cast<std::int64_t>(number(f[1])) * kNsPerS;
               summary.last_ns = static_cast<std::int64_t>(number(f[2])) * kNsPerMs;
             })) {
    return read;
  }
  auto names = [&](const std::string& sql, std::vector<std::string>& list) {
    return query(clickhouse, sql, read, [&](const std::vector<std::string>& f) {
      if (!f[0].empty()) list.push_back(f[0]);
    });
  };
  for (auto [column, list] : {std::pair{"host", &summary.hosts}, {"service", &summary.services},
                              {"process", &summary.processes}}) {
    // From the hourly rollup (written with every insert): the same names,
    // a fraction of the rows.
    if (!names(std::string("SELECT DISTINCT ") + column + " FROM samples_hourly" + where +
                   " ORDER BY " + column,
               *list)) {
      return read;
    }
  }
  if (!names("SELECT DISTINCT kind FROM frames ORDER BY kind", summary.kinds)) return read;
  out = std::move(summary);
  return FleetRead{};
}

}  // namespace ember::server

#include "window_blobs.hpp"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "byte_codec.hpp"
#include "column_codec.hpp"

namespace ember::store {
namespace {

constexpr double kShareScale = 1e6;

std::int64_t to_millionths(double share) {
  if (!std::isfinite(share)) return 0;
  return std::llround(std::clamp(share, -1e12, 1e12) * kShareScale);
}

double from_millionths(std::int64_t value) { return static_cast<double>(value) / kShareScale; }

// Differences of unsigned values wrap, so any value round-trips.
std::int64_t delta(std::uint64_t value, std::uint64_t previous) {
  return static_cast<std::int64_t>(value - previous);
}

void write_ids(ByteWriter& out, std::vector<std::int64_t>& ids, IdOrder order) {
  if (order == IdOrder::sorted) {
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  }
  out.varint(ids.size());
  std::int64_t previous = 0;
  for (std::int64_t id : ids) {
    out.delta(id, previous);
    previous = id;
  }
}

std::vector<std::int64_t> read_ids(ByteReader& in) {
  std::vector<std::int64_t> ids(in.count());
  std::int64_t previous = 0;
  for (auto& id : ids) previous = id = in.delta_from(previous);
  return ids;
}

}  // namespace

std::string encode_refs(WindowRefs refs, IdOrder order, std::int64_t format) {
  ByteWriter out;
  write_ids(out, refs.process_ids, order);
  write_ids(out, refs.thread_ids, order);
  auto& samples = refs.samples;
  std::sort(samples.begin(), samples.end(), [](const StoredSample& a, const StoredSample& b) {
    return std::tie(a.pid, a.tid, a.stack_id) < std::tie(b.pid, b.tid, b.stack_id);
  });
  // Per thread: the thread's pid/tid once, then its stacks as increasing ids
  // (format 1: each with its count; format 2: all threads' stacks, then all
  // counts, mostly runs of 1).
  std::vector<std::pair<std::size_t, std::size_t>> threads;  // [begin, end) of samples
  for (std::size_t begin = 0; begin < samples.size();) {
    std::size_t end = begin;
    while (end < samples.size() && samples[end].pid == samples[begin].pid &&
           samples[end].tid == samples[begin].tid) {
      ++end;
    }
    threads.emplace_back(begin, end);
    begin = end;
  }
  out.varint(threads.size());
  std::uint32_t previous_pid = 0;
  for (auto [begin, end] : threads) {
    out.svarint(static_cast<std::int64_t>(samples[begin].pid) - previous_pid);
    out.svarint(static_cast<std::int64_t>(samples[begin].tid) - samples[begin].pid);
    previous_pid = samples[begin].pid;
    out.varint(end - begin);
    if (format == 1) {
      std::int64_t previous_stack = 0;
      for (std::size_t i = begin; i < end; ++i) {
        out.delta(samples[i].stack_id, previous_stack);
        previous_stack = samples[i].stack_id;
        out.varint(samples[i].count);
      }
    }
  }
  if (format != 1) {
    for (auto [begin, end] : threads) {
      std::int64_t previous_stack = 0;
      for (std::size_t i = begin; i < end; ++i) {
        out.delta(samples[i].stack_id, previous_stack);
        previous_stack = samples[i].stack_id;
      }
    }
    for (const StoredSample& sample : samples) out.varint(sample.count);
  }
  return deflate_blob(out.data());
}

WindowRefs decode_refs(std::string_view blob, std::int64_t format) {
  WindowRefs refs;
  decode_refs(blob, format, refs);
  return refs;
}

void decode_refs(std::string_view blob, std::int64_t format, WindowRefs& refs, bool samples) {
  if (format != 1 && format != 2) {
    throw CorruptBlob("unknown blob format " + std::to_string(format));
  }
  std::string raw = inflate_blob(blob);
  ByteReader in(raw);
  refs.process_ids = read_ids(in);
  refs.thread_ids = read_ids(in);
  refs.samples.clear();
  if (!samples) return;
  std::uint64_t threads = in.count();
  // Format 2 lists every thread before any stack: the samples are counted
  // and allocated once (a day's read decodes millions).
  struct Thread {
    std::uint32_t pid, tid;
    std::uint64_t stacks;
  };
  std::vector<Thread> listed;
  if (format == 2) listed.reserve(threads);
  std::int64_t pid = 0;
  std::uint64_t total = 0;
  for (std::uint64_t t = 0; t < threads; ++t) {
    pid = in.delta_from(pid);
    std::int64_t tid = in.delta_from(pid);
    std::uint64_t stacks = in.count();
    if (total + stacks > raw.size()) throw CorruptBlob("more samples than bytes");
    total += stacks;
    auto thread = Thread{static_cast<std::uint32_t>(pid), static_cast<std::uint32_t>(tid), stacks};
    if (format == 2) {
      listed.push_back(thread);
      continue;
    }
    std::int64_t stack = 0;
    for (std::uint64_t s = 0; s < stacks; ++s) {
      stack = in.delta_from(stack);
      refs.samples.push_back(StoredSample{stack, thread.pid, thread.tid, in.varint()});
    }
  }
  if (format == 2) {
    refs.samples.resize(total);
    StoredSample* sample = refs.samples.data();
    for (const Thread& thread : listed) {
      std::int64_t stack = 0;
      for (std::uint64_t s = 0; s < thread.stacks; ++s, ++sample) {
        *sample = StoredSample{stack = in.delta_from(stack), thread.pid, thread.tid, 0};
      }
    }
    for (StoredSample& sample : refs.samples) sample.count = in.varint();
  }
  if (!in.done()) throw CorruptBlob("trailing bytes after a window's samples");
}

namespace {

// Format 1: each step's values together, each a delta from the step before.
void encode_metrics_v1(ByteWriter& out, const Window& window,
                       const std::vector<ProcessMetrics>& series) {
  out.varint(window.host_metrics.size());
  std::int64_t time = window.start_ns, cpu = 0;
  std::uint64_t total = 0, available = 0;
  for (const HostMetrics& m : window.host_metrics) {
    out.delta(m.time_ns, time);
    out.delta(to_millionths(m.cpu_utilization), cpu);
    out.svarint(delta(m.memory_total_bytes, total));
    out.svarint(delta(m.memory_available_bytes, available));
    time = m.time_ns;
    cpu = to_millionths(m.cpu_utilization);
    total = m.memory_total_bytes;
    available = m.memory_available_bytes;
  }
  std::size_t pids = 0;
  for (std::size_t i = 0; i < series.size(); ++i) {
    if (i == 0 || series[i].pid != series[i - 1].pid) ++pids;
  }
  out.varint(pids);
  std::uint32_t previous_pid = 0;
  for (std::size_t begin = 0; begin < series.size();) {
    std::size_t end = begin;
    while (end < series.size() && series[end].pid == series[begin].pid) ++end;
    out.svarint(static_cast<std::int64_t>(series[begin].pid) - previous_pid);
    previous_pid = series[begin].pid;
    out.varint(end - begin);
    std::int64_t t = window.start_ns, c = 0;
    std::uint64_t rss = 0;
    for (std::size_t i = begin; i < end; ++i) {
      out.delta(series[i].time_ns, t);
      out.delta(to_millionths(series[i].cpu_cores), c);
      out.svarint(delta(series[i].rss_bytes, rss));
      t = series[i].time_ns;
      c = to_millionths(series[i].cpu_cores);
      rss = series[i].rss_bytes;
    }
    begin = end;
  }
}

void decode_metrics_v1(ByteReader& in, std::int64_t start_ns, std::vector<HostMetrics>& host,
                       std::vector<ProcessMetrics>& processes) {
  std::uint64_t steps = in.count();
  std::int64_t time = start_ns, cpu = 0;
  std::uint64_t total = 0, available = 0;
  for (std::uint64_t i = 0; i < steps; ++i) {
    time = in.delta_from(time);
    cpu = in.delta_from(cpu);
    total += static_cast<std::uint64_t>(in.svarint());
    available += static_cast<std::uint64_t>(in.svarint());
    host.push_back(HostMetrics{time, from_millionths(cpu), total, available});
  }
  std::uint64_t pids = in.count();
  std::int64_t pid = 0;
  for (std::uint64_t p = 0; p < pids; ++p) {
    pid = in.delta_from(pid);
    std::uint64_t n = in.count();
    std::int64_t t = start_ns, c = 0;
    std::uint64_t rss = 0;
    for (std::uint64_t i = 0; i < n; ++i) {
      t = in.delta_from(t);
      c = in.delta_from(c);
      rss += static_cast<std::uint64_t>(in.svarint());
      processes.push_back(
          ProcessMetrics{t, static_cast<std::uint32_t>(pid), from_millionths(c), rss});
    }
  }
}

std::int64_t as_signed(std::uint64_t value) { return static_cast<std::int64_t>(value); }

// Format 2 keeps metrics at the precision they are measured with, not finer:
// a step's time to the millisecond (steps are >= 100 ms apart), a process'
// CPU to a hundredth of a core (one /proc tick over the default 1 s step),
// the host's to a thousandth (a tick of a 2-CPU host is 0.005). Values on a
// grid share a divisor the columns take out, so a real host's jittery step
// lengths cost no more bytes than round ones.
constexpr std::int64_t kMetricTimeGrainNs = 1'000'000;
constexpr std::int64_t kHostCpuGrainMillionths = 1'000;
constexpr std::int64_t kProcessCpuGrainMillionths = 10'000;

std::int64_t on_grid(std::int64_t value, std::int64_t grain) {
  const std::int64_t half = grain / 2;
  return (value >= 0 ? (value + half) / grain : -((-value + half) / grain)) * grain;
}

// Format 2: columns (column_codec.hpp); times relative to the window's start.
void encode_metrics_v2(ByteWriter& out, const Window& window,
                       const std::vector<ProcessMetrics>& series) {
  const auto& host = window.host_metrics;
  std::vector<std::int64_t> times, cpus, totals, availables;
  for (const HostMetrics& m : host) {
    times.push_back(on_grid(m.time_ns - window.start_ns, kMetricTimeGrainNs));
    cpus.push_back(on_grid(to_millionths(m.cpu_utilization), kHostCpuGrainMillionths));
    totals.push_back(as_signed(m.memory_total_bytes));
    availables.push_back(as_signed(m.memory_available_bytes));
  }
  out.varint(host.size());
  write_column(out, times, 2);
  write_column(out, cpus, 1);
  write_column(out, totals, 1);
  write_column(out, availables, 1);
  std::vector<std::int64_t> pids, lengths;
  times.clear();
  cpus.clear();
  std::vector<std::int64_t> rss;
  for (std::size_t i = 0; i < series.size(); ++i) {
    if (i == 0 || series[i].pid != series[i - 1].pid) {
      pids.push_back(series[i].pid);
      lengths.push_back(0);
    }
    ++lengths.back();
    times.push_back(on_grid(series[i].time_ns - window.start_ns, kMetricTimeGrainNs));
    cpus.push_back(on_grid(to_millionths(series[i].cpu_cores), kProcessCpuGrainMillionths));
    rss.push_back(as_signed(series[i].rss_bytes));
  }
  out.varint(pids.size());
  write_column(out, pids, 1);
  write_column(out, lengths, 0);
  write_column(out, times, 2);
  write_column(out, cpus, 1);
  write_column(out, rss, 1);
}

void decode_metrics_v2(ByteReader& in, std::int64_t start_ns, std::vector<HostMetrics>& host,
                       std::vector<ProcessMetrics>& processes) {
  std::uint64_t steps = in.count();
  std::vector<std::int64_t> times = read_column(in, steps, 2), cpus = read_column(in, steps, 1),
                            totals = read_column(in, steps, 1),
                            availables = read_column(in, steps, 1);
  for (std::uint64_t i = 0; i < steps; ++i) {
    host.push_back(HostMetrics{wrapping_add(start_ns, times[i]), from_millionths(cpus[i]),
                               static_cast<std::uint64_t>(totals[i]),
                               static_cast<std::uint64_t>(availables[i])});
  }
  std::uint64_t series = in.count();
  std::vector<std::int64_t> pids = read_column(in, series, 1), lengths = read_column(in, series, 0);
  std::uint64_t total = 0;
  for (std::int64_t length : lengths) {
    if (length < 0 || static_cast<std::uint64_t>(length) > in.remaining()) {
      throw CorruptBlob("a metrics series longer than the blob");
    }
    total += static_cast<std::uint64_t>(length);
  }
  if (total > in.remaining()) throw CorruptBlob("more metrics steps than bytes");
  times = read_column(in, total, 2);
  cpus = read_column(in, total, 1);
  std::vector<std::int64_t> rss = read_column(in, total, 1);
  std::size_t i = 0;
  for (std::size_t p = 0; p < pids.size(); ++p) {
    for (std::int64_t n = 0; n < lengths[p]; ++n, ++i) {
      processes.push_back(ProcessMetrics{wrapping_add(start_ns, times[i]),
                                         static_cast<std::uint32_t>(pids[p]),
                                         from_millionths(cpus[i]),
                                         static_cast<std::uint64_t>(rss[i])});
    }
  }
}

}  // namespace

std::string encode_metrics(const Window& window, std::int64_t format) {
  // One series per pid: steady values delta to zeros, which deflate well.
  std::vector<ProcessMetrics> series = window.process_metrics;
  std::stable_sort(series.begin(), series.end(), [](const auto& a, const auto& b) {
    return std::tie(a.pid, a.time_ns) < std::tie(b.pid, b.time_ns);
  });
  ByteWriter out;
  if (format == 1) {
    encode_metrics_v1(out, window, series);
  } else {
    encode_metrics_v2(out, window, series);
  }
  return deflate_blob(out.data());
}

void decode_metrics(std::string_view blob, std::int64_t format, std::int64_t start_ns,
                    std::vector<HostMetrics>& host, std::vector<ProcessMetrics>& processes) {
  if (format != 1 && format != 2) {
    throw CorruptBlob("unknown blob format " + std::to_string(format));
  }
  std::string raw = inflate_blob(blob);
  ByteReader in(raw);
  std::size_t first = processes.size();
  if (format == 1) {
    decode_metrics_v1(in, start_ns, host, processes);
  } else {
    decode_metrics_v2(in, start_ns, host, processes);
  }
  if (!in.done()) throw CorruptBlob("trailing bytes after a window's metrics");
  std::stable_sort(processes.begin() + static_cast<std::ptrdiff_t>(first), processes.end(),
                   [](const auto& a, const auto& b) {
                     return std::tie(a.time_ns, a.pid) < std::tie(b.time_ns, b.pid);
                   });
}

}  // namespace ember::store

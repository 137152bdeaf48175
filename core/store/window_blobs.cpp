#include "window_blobs.hpp"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "byte_codec.hpp"

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

void write_ids(ByteWriter& out, std::vector<std::int64_t>& ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  out.varint(ids.size());
  std::int64_t previous = 0;
  for (std::int64_t id : ids) {
    out.svarint(id - previous);
    previous = id;
  }
}

std::vector<std::int64_t> read_ids(ByteReader& in) {
  std::vector<std::int64_t> ids(in.count());
  std::int64_t previous = 0;
  for (auto& id : ids) previous = id = previous + in.svarint();
  return ids;
}

}  // namespace

std::string encode_refs(WindowRefs refs) {
  ByteWriter out;
  write_ids(out, refs.process_ids);
  write_ids(out, refs.thread_ids);
  auto& samples = refs.samples;
  std::sort(samples.begin(), samples.end(), [](const StoredSample& a, const StoredSample& b) {
    return std::tie(a.pid, a.tid, a.stack_id) < std::tie(b.pid, b.tid, b.stack_id);
  });
  // Per thread: the thread's pid/tid once, then its stacks as increasing ids.
  std::size_t threads = 0;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    if (i == 0 || samples[i].pid != samples[i - 1].pid || samples[i].tid != samples[i - 1].tid) {
      ++threads;
    }
  }
  out.varint(threads);
  std::uint32_t previous_pid = 0;
  for (std::size_t begin = 0; begin < samples.size();) {
    std::size_t end = begin;
    while (end < samples.size() && samples[end].pid == samples[begin].pid &&
           samples[end].tid == samples[begin].tid) {
      ++end;
    }
    out.svarint(static_cast<std::int64_t>(samples[begin].pid) - previous_pid);
    out.svarint(static_cast<std::int64_t>(samples[begin].tid) - samples[begin].pid);
    previous_pid = samples[begin].pid;
    out.varint(end - begin);
    std::int64_t previous_stack = 0;
    for (std::size_t i = begin; i < end; ++i) {
      out.svarint(samples[i].stack_id - previous_stack);
      previous_stack = samples[i].stack_id;
      out.varint(samples[i].count);
    }
    begin = end;
  }
  return deflate_blob(out.data());
}

WindowRefs decode_refs(std::string_view blob) {
  std::string raw = inflate_blob(blob);
  ByteReader in(raw);
  WindowRefs refs;
  refs.process_ids = read_ids(in);
  refs.thread_ids = read_ids(in);
  std::uint64_t threads = in.count();
  std::int64_t pid = 0;
  for (std::uint64_t t = 0; t < threads; ++t) {
    pid += in.svarint();
    std::int64_t tid = pid + in.svarint();
    std::uint64_t stacks = in.count();
    std::int64_t stack = 0;
    for (std::uint64_t s = 0; s < stacks; ++s) {
      stack += in.svarint();
      refs.samples.push_back(StoredSample{stack, static_cast<std::uint32_t>(pid),
                                          static_cast<std::uint32_t>(tid), in.varint()});
    }
  }
  if (!in.done()) throw CorruptBlob("trailing bytes after a window's samples");
  return refs;
}

std::string encode_metrics(const Window& window) {
  ByteWriter out;
  out.varint(window.host_metrics.size());
  std::int64_t time = window.start_ns, cpu = 0;
  std::uint64_t total = 0, available = 0;
  for (const HostMetrics& m : window.host_metrics) {
    out.svarint(m.time_ns - time);
    out.svarint(to_millionths(m.cpu_utilization) - cpu);
    out.svarint(delta(m.memory_total_bytes, total));
    out.svarint(delta(m.memory_available_bytes, available));
    time = m.time_ns;
    cpu = to_millionths(m.cpu_utilization);
    total = m.memory_total_bytes;
    available = m.memory_available_bytes;
  }
  // One series per pid: steady values delta to zeros, which deflate well.
  std::vector<ProcessMetrics> series = window.process_metrics;
  std::stable_sort(series.begin(), series.end(), [](const auto& a, const auto& b) {
    return std::tie(a.pid, a.time_ns) < std::tie(b.pid, b.time_ns);
  });
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
      out.svarint(series[i].time_ns - t);
      out.svarint(to_millionths(series[i].cpu_cores) - c);
      out.svarint(delta(series[i].rss_bytes, rss));
      t = series[i].time_ns;
      c = to_millionths(series[i].cpu_cores);
      rss = series[i].rss_bytes;
    }
    begin = end;
  }
  return deflate_blob(out.data());
}

void decode_metrics(std::string_view blob, std::int64_t start_ns, std::vector<HostMetrics>& host,
                    std::vector<ProcessMetrics>& processes) {
  std::string raw = inflate_blob(blob);
  ByteReader in(raw);
  std::uint64_t steps = in.count();
  std::int64_t time = start_ns, cpu = 0;
  std::uint64_t total = 0, available = 0;
  for (std::uint64_t i = 0; i < steps; ++i) {
    time += in.svarint();
    cpu += in.svarint();
    total += static_cast<std::uint64_t>(in.svarint());
    available += static_cast<std::uint64_t>(in.svarint());
    host.push_back(HostMetrics{time, from_millionths(cpu), total, available});
  }
  std::size_t first = processes.size();
  std::uint64_t pids = in.count();
  std::int64_t pid = 0;
  for (std::uint64_t p = 0; p < pids; ++p) {
    pid += in.svarint();
    std::uint64_t n = in.count();
    std::int64_t t = start_ns, c = 0;
    std::uint64_t rss = 0;
    for (std::uint64_t i = 0; i < n; ++i) {
      t += in.svarint();
      c += in.svarint();
      rss += static_cast<std::uint64_t>(in.svarint());
      processes.push_back(
          ProcessMetrics{t, static_cast<std::uint32_t>(pid), from_millionths(c), rss});
    }
  }
  if (!in.done()) throw CorruptBlob("trailing bytes after a window's metrics");
  std::stable_sort(processes.begin() + static_cast<std::ptrdiff_t>(first), processes.end(),
                   [](const auto& a, const auto& b) {
                     return std::tie(a.time_ns, a.pid) < std::tie(b.time_ns, b.pid);
                   });
}

}  // namespace ember::store

#include "synthetic_host.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <tuple>

namespace ember::bench {
namespace {

std::vector<double> zipf_cdf(std::size_t n, double exponent) {
  std::vector<double> cdf(n);
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i) cdf[i] = sum += 1.0 / std::pow(double(i + 1), exponent);
  for (double& c : cdf) c /= sum;
  return cdf;
}

Frame make_frame(std::string name, std::string module, std::string kind, std::string file,
                 std::uint32_t line) {
  Frame f;
  f.name = std::move(name);
  f.module = std::move(module);
  f.kind = std::move(kind);
  f.file = std::move(file);
  f.line = line;
  return f;
}

}  // namespace

SyntheticHost::SyntheticHost(const HostShape& shape, std::uint64_t seed)
    : shape_(shape), random_(seed) {
  for (int i = 0; i < 600; ++i) {
    kernel_frames_.push_back(add_frame(
        make_frame("kernel_function_" + std::to_string(i) + "_[k]", "", frame_kind::kernel, "", 0)));
  }
  for (int i = 0; i < 400; ++i) {
    libc_frames_.push_back(add_frame(
        make_frame("__libc_function_" + std::to_string(i), "libc.so.6", frame_kind::native, "", 0)));
  }
  for (int p = 0; p < shape_.processes; ++p) {
    processes_.push_back(make_process(next_pid_++, "service-" + std::to_string(p)));
  }
  process_cdf_ = zipf_cdf(processes_.size(), 1.0);
}

std::uint32_t SyntheticHost::add_frame(Frame frame) {
  frames_.push_back(std::move(frame));
  return static_cast<std::uint32_t>(frames_.size() - 1);
}

SyntheticHost::Process SyntheticHost::make_process(std::uint32_t pid, const std::string& comm) {
  Process p;
  p.info.pid = pid;
  p.info.comm = comm;
  p.info.exe = "/usr/local/bin/" + comm;
  p.info.cmdline = p.info.exe + " --config /etc/" + comm + "/config.yaml --listen 0.0.0.0:8080";
  if (pid % 2 == 0) {
    p.info.container_id = std::string(64, "0123456789abcdef"[pid % 16]);
    p.info.container_name = comm + "-container";
    p.info.pod_uid = "6f1c2b9e-" + std::to_string(pid) + "-4a3b-9c8d-7e6f5a4b3c2d";
  }
  p.info.cgroup_id = 10000 + pid;
  p.info.service = comm;
  for (int t = 0; t < shape_.threads_per_process; ++t) p.tids.push_back(pid + (t ? 100000 * t : 0));
  // Function names as a demangler writes them: namespaces, templates, args.
  std::string kind = pid % 5 == 0 ? frame_kind::python : frame_kind::native;
  std::vector<std::uint32_t>& functions = functions_of_comm_[comm];
  for (int f = static_cast<int>(functions.size()); f < shape_.functions_per_process; ++f) {
    std::string name = kind == frame_kind::python
                           ? "handle_request_" + std::to_string(f)
                           : "app::module" + std::to_string(f % 37) + "::Class" +
                                 std::to_string(f % 101) + "::method_" + std::to_string(f) +
                                 "(std::string const&, int)";
    functions.push_back(add_frame(make_frame(name, kind == frame_kind::python ? "app.py" : comm,
                                             kind, "src/module" + std::to_string(f % 37) + ".cc",
                                             static_cast<std::uint32_t>(10 + f % 900))));
  }
  // The same program (comm) always has the same code and call paths: a
  // re-run cron job brings back its stacks, not new ones.
  std::mt19937_64 random(std::hash<std::string>()(comm));
  std::uniform_int_distribution<int> depth(8, 36);
  std::uniform_int_distribution<std::size_t> function(0, functions.size() - 1);
  std::uniform_int_distribution<std::size_t> libc(0, libc_frames_.size() - 1);
  std::uniform_int_distribution<std::size_t> kernel(0, kernel_frames_.size() - 1);
  std::bernoulli_distribution in_kernel(0.3);
  // Paths share prefixes (a call tree): each extends an earlier one half the time.
  for (int s = 0; s < shape_.stacks_per_process; ++s) {
    std::vector<std::uint32_t> stack;
    if (s > 0 && s % 2 == 1) {
      const auto& base = p.stacks[std::uniform_int_distribution<int>(0, s - 1)(random)];
      stack.assign(base.begin(), base.begin() + std::min<std::ptrdiff_t>(base.size(), 6));
    } else {
      stack.push_back(libc_frames_[0]);
      stack.push_back(functions[0]);
    }
    int d = depth(random);
    while (static_cast<int>(stack.size()) < d) stack.push_back(functions[function(random)]);
    if (in_kernel(random)) {
      stack.push_back(libc_frames_[libc(random)]);
      for (int k = 0; k < 6; ++k) stack.push_back(kernel_frames_[kernel(random)]);
    }
    p.stacks.push_back(std::move(stack));
  }
  p.stack_cdf = zipf_cdf(p.stacks.size(), 1.1);
  return p;
}

std::size_t SyntheticHost::pick(const std::vector<double>& cdf) {
  double u = std::uniform_real_distribution<double>(0, 1)(random_);
  return std::min<std::size_t>(std::lower_bound(cdf.begin(), cdf.end(), u) - cdf.begin(),
                               cdf.size() - 1);
}

Window SyntheticHost::window(std::int64_t start_ns, int index) {
  // Cron-like processes: each window some exit and new ones (new pids) start.
  for (int i = 0; i < shape_.short_lived_per_window && !processes_.empty(); ++i) {
    std::size_t victim =
        processes_.size() - 1 - static_cast<std::size_t>(index % 10) % processes_.size();
    processes_[victim] = make_process(next_pid_++, "job-" + std::to_string(index % 20));
  }
  Window w;
  w.start_ns = start_ns;
  w.end_ns = start_ns + std::int64_t{shape_.window_seconds} * 1'000'000'000;
  w.frequency_hz = static_cast<std::uint32_t>(shape_.frequency_hz);
  w.host = "bench-host-01.example.internal";
  w.lost_samples = static_cast<std::uint64_t>(index % 7 == 0 ? 3 : 0);

  // Which processes are busiest rotates every hour.
  std::size_t rotation = static_cast<std::size_t>(index / 60);
  auto samples =
      static_cast<std::uint64_t>(shape_.frequency_hz * shape_.window_seconds * shape_.busy_cpus);
  // key: process << 32 | stack << 8 | thread
  std::map<std::uint64_t, std::uint64_t> counts;
  for (std::uint64_t i = 0; i < samples; ++i) {
    std::size_t process = (pick(process_cdf_) + rotation) % processes_.size();
    Process& p = processes_[process];
    std::size_t stack = pick(p.stack_cdf);
    std::size_t thread = pick(process_cdf_) % p.tids.size();
    ++counts[std::uint64_t{process} << 32 | std::uint64_t{stack} << 8 | thread];
  }
  std::vector<std::int64_t> frame_index(frames_.size(), -1);
  std::map<std::uint64_t, std::uint32_t> stack_index;
  std::vector<bool> seen_process(processes_.size());
  std::map<std::pair<std::uint32_t, std::uint32_t>, bool> seen_thread;
  for (const auto& [key, count] : counts) {
    std::size_t process = key >> 32, stack = (key >> 8) & 0xffffff;
    Process& p = processes_[process];
    std::uint32_t tid = p.tids[key & 0xff];
    auto [it, inserted] =
        stack_index.try_emplace(key >> 8, static_cast<std::uint32_t>(w.stacks.size()));
    if (inserted) {
      std::vector<std::uint32_t> ids;
      for (std::uint32_t frame : p.stacks[stack]) {
        if (frame_index[frame] < 0) {
          frame_index[frame] = static_cast<std::int64_t>(w.frames.size());
          w.frames.push_back(frames_[frame]);
        }
        ids.push_back(static_cast<std::uint32_t>(frame_index[frame]));
      }
      w.stacks.push_back(std::move(ids));
    }
    w.samples.push_back(StackCount{it->second, p.info.pid, tid, count});
    if (!seen_process[process]) {  // (vector<bool>: no reference to bind)
      seen_process[process] = true;
      w.processes.push_back(p.info);
    }
    if (!seen_thread[{p.info.pid, tid}]) {
      seen_thread[{p.info.pid, tid}] = true;
      w.threads.push_back(ThreadInfo{p.info.pid, tid, p.info.comm + "-worker"});
    }
  }
  // Metrics: every step, the host and every profiled process, with the
  // resolution /proc gives them (clock ticks of 10 ms: 0.01 of a core per 1 s
  // step; 0.005 of a 2-CPU host).
  // The agent's steps are not exactly 1 s apart (its loop wakes a few ms
  // late), so a step's time is not round and its CPU is whole ticks over a
  // measured length: cores = ticks x 0.01 / (1 s + lateness).
  std::normal_distribution<double> jitter(0, 0.05);
  std::normal_distribution<double> lateness_ms(3, 2);
  auto ticks = [](double value, double tick) { return std::round(value / tick) * tick; };
  for (int step = 1; step <= shape_.window_seconds / shape_.metrics_step_seconds; ++step) {
    const double late = std::clamp(lateness_ms(random_), 0.0, 20.0);
    const double stretch = 1.0 / (1.0 + late / 1000.0 / shape_.metrics_step_seconds);
    std::int64_t t = start_ns + std::int64_t{step} * shape_.metrics_step_seconds * 1'000'000'000 +
                     std::int64_t(late * 1e6);
    w.host_metrics.push_back(HostMetrics{
        t, ticks(std::clamp(0.5 + jitter(random_), 0.0, 1.0), 0.005), 16ULL << 30,
        (8ULL << 30) + static_cast<std::uint64_t>(std::abs(jitter(random_)) * (1ULL << 30))});
    for (const ProcessInfo& info : w.processes) {
      Process& p = *std::find_if(processes_.begin(), processes_.end(),
                                 [&](const Process& q) { return q.info.pid == info.pid; });
      p.cpu = ticks(std::clamp(p.cpu + jitter(random_), 0.0, 4.0), 0.01);
      if (step % 10 == 0) p.rss += 4096 * static_cast<std::uint64_t>(random_() % 64);
      w.process_metrics.push_back(ProcessMetrics{t, info.pid, p.cpu * stretch, p.rss});
    }
  }
  return w;
}

}  // namespace ember::bench

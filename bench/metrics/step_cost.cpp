// Cost of one metrics step (host files + /proc/PID/stat per process) with N
// processes in the profile: forks N sleeping children, steps the collector
// over them M times, prints the mean and worst step time.
//   build/bin/ember_bench_metrics_step [N=50] [M=1000]
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "metrics/metrics_collector.hpp"

int main(int argc, char** argv) {
  const int processes = argc > 1 ? std::atoi(argv[1]) : 50;
  const int steps = argc > 2 ? std::atoi(argv[2]) : 1000;
  std::vector<std::uint32_t> pids;
  for (int i = 0; i < processes; ++i) {
    pid_t pid = fork();
    if (pid == 0) {
      pause();
      _exit(0);
    }
    pids.push_back(static_cast<std::uint32_t>(pid));
  }
  ember::MetricsCollector collector;
  std::vector<double> micros;
  std::vector<ember::HostMetrics> host;
  std::vector<ember::ProcessMetrics> process;
  for (int i = 0; i < steps; ++i) {
    auto start = std::chrono::steady_clock::now();
    auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(start.time_since_epoch());
    collector.step(now.count(), now.count() + 1, pids);
    micros.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
            .count());
    if (i % 60 == 59) collector.take(host, process);
  }
  for (std::uint32_t pid : pids) kill(static_cast<pid_t>(pid), SIGKILL);
  while (wait(nullptr) > 0) {
  }
  std::sort(micros.begin(), micros.end());
  double sum = 0;
  for (double m : micros) sum += m;
  std::printf("%d processes, %d steps: mean %.0f us, median %.0f us, p99 %.0f us per step\n",
              processes, steps, sum / steps, micros[micros.size() / 2],
              micros[micros.size() * 99 / 100]);
  return 0;
}

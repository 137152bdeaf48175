// What the symbol benches measure with: the thread's CPU time (on a busy
// machine wall time mostly measures the others) and this process' memory.
#pragma once

#include <time.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

namespace ember::bench {

struct ThreadCpuClock {
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<ThreadCpuClock, duration>;
  static time_point now() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return time_point(duration(std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec));
  }
};

inline double ns_per(ThreadCpuClock::duration elapsed, std::size_t count) {
  return std::chrono::duration<double, std::nano>(elapsed).count() / static_cast<double>(count);
}

// A "Key:  N kB" line of /proc/self/status, in KiB; -1 when absent.
inline long status_kib(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) return std::atol(line.c_str() + std::strlen(key));
  }
  return -1;
}

}  // namespace ember::bench

// Parsers for the procfs files the metrics come from. Pure text functions:
// the caller reads the files, so tests feed them fixtures.
#pragma once

#include <cstdint>
#include <string_view>

namespace ember {

// The first ("cpu ") line of /proc/stat, in clock ticks (USER_HZ).
struct CpuTimes {
  std::uint64_t busy = 0;   // user + nice + system + irq + softirq + steal
  std::uint64_t total = 0;  // busy + idle + iowait
};
bool parse_proc_stat(std::string_view text, CpuTimes& out);

// /proc/meminfo, in bytes.
struct MemoryInfo {
  std::uint64_t total_bytes = 0;
  std::uint64_t available_bytes = 0;
};
bool parse_meminfo(std::string_view text, MemoryInfo& out);

// /proc/PID/stat: the fields after "(comm)", which may itself hold spaces
// and parentheses, so parsing starts at the last ')'.
struct PidStat {
  std::uint64_t cpu_ticks = 0;    // utime + stime
  std::uint64_t start_ticks = 0;  // starttime, ticks after boot
  std::uint64_t rss_pages = 0;    // rss
};
bool parse_pid_stat(std::string_view text, PidStat& out);

}  // namespace ember

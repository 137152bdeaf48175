#include "memory_report.hpp"

#include <malloc.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace ember {
namespace {

double in_mb(std::size_t bytes) { return static_cast<double>(bytes) / 1e6; }

}  // namespace

OwnMemory own_memory() {
  OwnMemory memory;
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    std::size_t kb = 0;
    if (std::sscanf(line.c_str(), "VmRSS: %zu kB", &kb) == 1) memory.rss_bytes = kb * 1024;
    if (std::sscanf(line.c_str(), "VmHWM: %zu kB", &kb) == 1) memory.peak_rss_bytes = kb * 1024;
  }
  struct mallinfo2 info = mallinfo2();
  memory.heap_in_use_bytes = info.uordblks + info.hblkhd;
  memory.heap_free_bytes = info.fordblks;
  return memory;
}

std::string describe_memory(const OwnMemory& memory) {
  char text[160];
  std::snprintf(text, sizeof(text),
                "RSS %.1f MB (peak %.1f MB), heap %.1f MB in use + %.1f MB free",
                in_mb(memory.rss_bytes), in_mb(memory.peak_rss_bytes),
                in_mb(memory.heap_in_use_bytes), in_mb(memory.heap_free_bytes));
  return text;
}

}  // namespace ember

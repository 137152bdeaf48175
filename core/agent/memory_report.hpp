// The agent's own memory, for the debug line logged with each window: what
// the kernel counts (RSS and its peak) and what malloc holds (in use, and
// free but kept), so a user can tell growth of live data from fragmentation.
#pragma once

#include <cstddef>
#include <string>

namespace ember {

struct OwnMemory {
  std::size_t rss_bytes = 0;          // VmRSS
  std::size_t peak_rss_bytes = 0;     // VmHWM
  std::size_t heap_in_use_bytes = 0;  // malloc: allocated (mallinfo2 uordblks + hblkhd)
  std::size_t heap_free_bytes = 0;    // malloc: free but not given back (fordblks)
};

OwnMemory own_memory();

// "RSS 45.2 MB (peak 60.1 MB), heap 30.1 MB in use + 10.2 MB free"
std::string describe_memory(const OwnMemory& memory);

}  // namespace ember

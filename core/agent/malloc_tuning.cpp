#include "malloc_tuning.hpp"

#include <malloc.h>

#include <cstdlib>
#include <cstring>

namespace ember {

// By default glibc gives a thread that finds the arenas locked one of its
// own, up to 8 per CPU, and memory freed in one arena serves only the
// threads that use it: the reader, the worker, each sink's thread and the
// UI's threads each kept their high-water mark apart. Two arenas keep
// contention low (the worker allocates, the others mostly free what it
// made) and let freed memory serve everyone.
// No fixed M_MMAP_THRESHOLD (128 KiB was tried): beside this build in one
// run (bench/footprint, ember record at 999 Hz for 6 minutes under churn)
// it took 11% more CPU, every large buffer mapped and unmapped afresh, for
// a 7% lower peak, less than RSS varies between runs (docs/benchmarks.md).
std::string configure_malloc() {
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (std::getenv("MALLOC_ARENA_MAX") || (tunables && std::strstr(tunables, "arena_max"))) {
    return "malloc: arenas as the environment sets them";
  }
  if (mallopt(M_ARENA_MAX, 2) != 1) return "malloc: M_ARENA_MAX not taken, glibc's default kept";
  return "malloc: at most 2 arenas";
}

}  // namespace ember

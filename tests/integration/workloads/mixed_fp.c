/* Issue 4: an executable built with frame pointers (-O2
 * -fno-omit-frame-pointer, see CMakeLists.txt) whose recursive descend is
 * compiled without them (the optimize attribute), like a Rust binary whose
 * std keeps frame pointers and whose own code doesn't. Its .eh_frame says
 * "frame pointers", so the process starts on the cheap path; the samples
 * must move it to full snapshots: main -> walk -> descend x 40 -> spin,
 * ~4.5 KiB deep, more than the leaf snapshot, less than the full one.
 */
#include "common.h" /* first: defines _GNU_SOURCE */

#include <stdio.h>
#include <stdlib.h>

NOINLINE void spin(uint64_t n) { BURN_LOOP(n, 0x3); }

__attribute__((noinline, noclone, optimize("omit-frame-pointer"))) uint64_t descend(int depth,
                                                                                     uint64_t n) {
  volatile uint64_t pad[12];
  pad[depth % 12] = n;
  if (depth > 0) {
    uint64_t r = descend(depth - 1, n);
    return r + pad[depth % 12];
  }
  spin(n);
  return pad[0];
}

NOINLINE uint64_t walk(uint64_t n) {
  uint64_t r = descend(40, n);
  __asm__ volatile("" ::: "memory");
  return r;
}

int main(int argc, char** argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 60.0;
  install_stop_handlers();
  printf("ready\n");
  fflush(stdout);
  uint64_t end = clock_ns(CLOCK_MONOTONIC) + (uint64_t)(seconds * 1e9);
  uint64_t sink = 0;
  while (!g_stop && clock_ns(CLOCK_MONOTONIC) < end) sink += walk(200000);
  printf("sink=%llu\n", (unsigned long long)sink);
  return 0;
}

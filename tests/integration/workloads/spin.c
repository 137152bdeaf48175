/* A plain CPU burner for the lifecycle, namespace, cgroup and plugin tests:
 * main -> spin_outer -> spin_leaf, for argv[1] seconds of wall time (or until
 * SIGTERM). Tests copy it under other names to give each process its own comm.
 * Prints "ready" once running.
 */
#include "common.h" /* first: defines _GNU_SOURCE */

#include <stdio.h>
#include <stdlib.h>

NOINLINE void spin_leaf(void) { BURN_LOOP(200000, 0x5); }

NOINLINE void spin_outer(uint64_t end) {
  while (!g_stop && clock_ns(CLOCK_MONOTONIC) < end) spin_leaf();
  __asm__ volatile("" ::: "memory");
}

int main(int argc, char** argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 60.0;
  install_stop_handlers();
  printf("ready\n");
  fflush(stdout);
  spin_outer(clock_ns(CLOCK_MONOTONIC) + (uint64_t)(seconds * 1e9));
  return 0;
}

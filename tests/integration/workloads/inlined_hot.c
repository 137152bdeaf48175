/* Line-level symbols and inlined frames: main -> outer_work, whose hot loop
 * is mix_inlined, always inlined at -O2. Built with -g, then split
 * (split_debug.sh): the debug info goes to a separate file and the binary is
 * stripped, so names, files and lines can only come from the debug file.
 * Runs argv[1] seconds (or until SIGTERM); prints "ready" once running.
 * Tests find the lines they expect by the LINE: markers.
 */
#include "common.h" /* first: defines _GNU_SOURCE */

#include <stdio.h>
#include <stdlib.h>

static inline __attribute__((always_inline)) uint64_t mix_inlined(uint64_t x, uint64_t n) {
  for (uint64_t i = 0; i < n; ++i) { /* LINE:mix_first */
    x = x * 6364136223846793005ull + 1442695040888963407ull; /* LINE:mix_body */
    __asm__ volatile("" : "+r"(x));
  }
  return x; /* LINE:mix_last */
}

NOINLINE void outer_work(uint64_t n) { /* LINE:outer_first */
  FRAME_ANCHOR();
  g_sink += mix_inlined(g_sink, n); /* LINE:inlined_call */
} /* LINE:outer_last */

int main(int argc, char** argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 60.0;
  install_stop_handlers();
  printf("ready\n");
  fflush(stdout);
  uint64_t end = clock_ns(CLOCK_MONOTONIC) + (uint64_t)(seconds * 1e9);
  while (!g_stop && clock_ns(CLOCK_MONOTONIC) < end) outer_work(200000); /* LINE:outer_call */
  return 0;
}

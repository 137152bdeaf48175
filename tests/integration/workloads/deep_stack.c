/* Issue 4 acceptance: a stack deeper than the sampler's snapshot. Built
 * -O2 -fomit-frame-pointer (see CMakeLists.txt): descend recurses argv[2]
 * times (default 2000), each frame ~128 bytes of its own, far more than the
 * default 16 KiB snapshot, then burns CPU in spin at the bottom. Only CFI
 * unwinding gets anywhere, and it must stop at the snapshot's edge with the
 * frames it reached (spin, then descend, descend, ...) right.
 */
#include "common.h" /* first: defines _GNU_SOURCE */

#include <stdio.h>
#include <stdlib.h>

NOINLINE void spin(uint64_t n) { BURN_LOOP(n, 0x5); }

NOINLINE uint64_t descend(int depth, uint64_t n) {
  volatile uint64_t pad[12]; /* a frame of a known, real size */
  pad[depth % 12] = n;
  if (depth > 0) {
    uint64_t r = descend(depth - 1, n);
    return r + pad[depth % 12]; /* not a tail call */
  }
  while (!g_stop) spin(n);
  return pad[0];
}

int main(int argc, char** argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 60.0;
  int depth = argc > 2 ? atoi(argv[2]) : 2000;
  install_stop_handlers();
  alarm((unsigned)seconds + 1);
  signal(SIGALRM, on_stop);
  printf("ready\n");
  fflush(stdout);
  printf("result=%llu\n", (unsigned long long)descend(depth, 100000));
  return 0;
}

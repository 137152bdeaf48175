/* Issue 4 acceptance: built -O2 -fno-omit-frame-pointer WITHOUT
 * -mno-omit-leaf-frame-pointer (see CMakeLists.txt), so gcc gives the hot
 * leaves leaf_a and leaf_b no frame of their own: rbp still holds dispatch's
 * frame when a sample lands in them, and the frame-pointer walk goes from
 * the leaf straight to main, skipping dispatch. The leaf snapshot lets CFI
 * put dispatch back.
 *
 * The leaves touch no stack (no FRAME_ANCHOR), or gcc would give them a frame.
 */
#include "common.h" /* first: defines _GNU_SOURCE */

#include <stdio.h>
#include <stdlib.h>

#define LEAF_LOOP(n, seed)                                     \
  do {                                                         \
    uint64_t x_ = (seed);                                      \
    for (uint64_t i_ = 0; i_ < (n); ++i_) {                    \
      x_ = x_ * 6364136223846793005ull + 1442695040888963407ull; \
      __asm__ volatile("" : "+r"(x_));                         \
    }                                                          \
    g_sink += x_;                                              \
  } while (0)

NOINLINE void leaf_a(uint64_t n) { LEAF_LOOP(n, 0xa); }

NOINLINE void leaf_b(uint64_t n) { LEAF_LOOP(n, 0xb); }

NOINLINE void dispatch(int which, uint64_t n) {
  if (which == 0)
    leaf_a(n);
  else
    leaf_b(n);
  __asm__ volatile("" ::: "memory"); /* keep the calls out of tail position */
}

int main(int argc, char** argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 60.0;
  install_stop_handlers();
  printf("ready\n");
  fflush(stdout);
  uint64_t end = clock_ns(CLOCK_MONOTONIC) + (uint64_t)(seconds * 1e9);
  while (!g_stop && clock_ns(CLOCK_MONOTONIC) < end) {
    dispatch(0, 2000000);
    dispatch(1, 1000000);
  }
  return 0;
}

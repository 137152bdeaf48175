/* Acceptance 1: ~70% of CPU in hot_a, ~30% in hot_b, both reached from main
 * through one intermediate function (work), frame pointers everywhere.
 *
 * The split comes from work amount: hot_a and hot_b run the same loop body,
 * 7 and 3 units per round. The truth the test compares against is measured:
 * main reads CLOCK_THREAD_CPUTIME_ID around each call (outside hot_*) and, on
 * SIGTERM/SIGINT or after argv[1] seconds, prints
 *   hot_a_ns=<n> hot_b_ns=<n> rounds=<n>
 */
#include "common.h" /* first: defines _GNU_SOURCE */

#include <stdio.h>
#include <stdlib.h>

NOINLINE void hot_a(uint64_t n) { BURN_LOOP(n, 0xa); }

NOINLINE void hot_b(uint64_t n) { BURN_LOOP(n, 0xb); }

NOINLINE void work(int which, uint64_t n) {
  if (which == 0)
    hot_a(n);
  else
    hot_b(n);
  __asm__ volatile("" ::: "memory"); /* keep the calls out of tail position */
}

int main(int argc, char** argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 60.0;
  install_stop_handlers();

  /* One unit ~ 1 ms of CPU on this machine: calibrate, so a round is ~10 ms
   * whatever the CPU speed (many rounds per sampling window). */
  uint64_t unit = 100000;
  for (;;) {
    uint64_t t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    work(0, unit);
    uint64_t dt = clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0;
    if (dt >= 2000000 || unit > (1ull << 40)) {
      unit = unit * 1000000ull / (dt ? dt : 1);
      break;
    }
    unit *= 4;
  }

  uint64_t a_ns = 0, b_ns = 0, rounds = 0;
  uint64_t end = clock_ns(CLOCK_MONOTONIC) + (uint64_t)(seconds * 1e9);
  printf("ready unit=%llu\n", (unsigned long long)unit);
  fflush(stdout);
  while (!g_stop && clock_ns(CLOCK_MONOTONIC) < end) {
    uint64_t t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    work(0, 7 * unit);
    uint64_t t1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    work(1, 3 * unit);
    uint64_t t2 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    a_ns += t1 - t0;
    b_ns += t2 - t1;
    ++rounds;
  }
  printf("hot_a_ns=%llu hot_b_ns=%llu rounds=%llu\n", (unsigned long long)a_ns,
         (unsigned long long)b_ns, (unsigned long long)rounds);
  return 0;
}

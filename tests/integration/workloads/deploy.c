/* The before/after-deploy story for `ember report --diff`: a request loop
 * main -> handle_request -> {parse_input, biggest_five, render}. The slow
 * version's biggest_five does 8 units of work per request, parse_input and
 * render 1 each (biggest_five ~80% of the process); SIGUSR1 "deploys" the
 * fast version, where biggest_five does 1 unit (~33%). The other two gain
 * ~23 points each, so biggest_five is the function whose share moves most.
 * Prints "ready" once running, "fast" once it switched.
 */
#include "common.h" /* first: defines _GNU_SOURCE */

#include <stdio.h>
#include <stdlib.h>

static volatile sig_atomic_t g_fast;

static void on_deploy(int sig) {
  (void)sig;
  g_fast = 1;
}

#define UNIT 20000

NOINLINE void parse_input(void) { BURN_LOOP(UNIT, 0x1); }

NOINLINE void biggest_five(int fast) { BURN_LOOP((fast ? 1 : 8) * UNIT, 0x5); }

NOINLINE void render(void) { BURN_LOOP(UNIT, 0x7); }

NOINLINE void handle_request(int fast) {
  parse_input();
  biggest_five(fast);
  render();
  __asm__ volatile("" ::: "memory");
}

int main(int argc, char** argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 60.0;
  install_stop_handlers();
  signal(SIGUSR1, on_deploy);
  printf("ready\n");
  fflush(stdout);
  uint64_t end = clock_ns(CLOCK_MONOTONIC) + (uint64_t)(seconds * 1e9);
  int announced = 0;
  while (!g_stop && clock_ns(CLOCK_MONOTONIC) < end) {
    int fast = g_fast;
    if (fast && !announced) {
      printf("fast\n");
      fflush(stdout);
      announced = 1;
    }
    handle_request(fast);
  }
  return 0;
}

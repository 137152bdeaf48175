// The "interpreter" the fake runtime plugin claims: its interpreter_loop is
// the native frame the plugin's frames replace; spin stays below them.
#include <stdint.h>
#include <time.h>

static double seconds_now(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

__attribute__((noinline)) static uint64_t spin(uint64_t n) {
  volatile uint64_t sum = 0;
  for (uint64_t i = 0; i < n; ++i) sum += i;
  return sum;
}

__attribute__((noinline)) static void interpreter_loop(double seconds) {
  double end = seconds_now() + seconds;
  while (seconds_now() < end) spin(1000000);
}

int main(void) {
  interpreter_loop(4.0);
  return 0;
}

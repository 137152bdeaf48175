// The "interpreter" the fake runtime plugin claims. Its interpreter_loop is
// the native frame the plugin's frames replace; it runs twice on the stack,
// the inner run called back from a C "builtin" through the interpreter's
// call machinery: main → interpreter_loop → call_trampoline → fake_builtin →
// interpreter_loop → spin. spin stays below the plugin's frames,
// fake_builtin between them, call_trampoline is dropped (the plugin claims it).
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

static volatile int calls;  // keeps every call a real call, not a jump

static void interpreter_loop(int depth, double seconds);

__attribute__((noinline)) void fake_builtin(int depth, double seconds) {
  interpreter_loop(depth, seconds);
  ++calls;
}

__attribute__((noinline)) static void call_trampoline(int depth, double seconds) {
  fake_builtin(depth, seconds);
  ++calls;
}

__attribute__((noinline)) static void interpreter_loop(int depth, double seconds) {
  if (depth > 0) {
    call_trampoline(depth - 1, seconds);
    ++calls;
    return;
  }
  double end = seconds_now() + seconds;
  while (seconds_now() < end) spin(1000000);
}

int main(void) {
  interpreter_loop(1, 4.0);
  return 0;
}

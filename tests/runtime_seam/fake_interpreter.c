// The "interpreter" the fake runtime plugin claims. Its interpreter_loop is
// the native frame the plugin's frames replace; it runs twice on the stack,
// the inner run called back from a C "builtin" through the interpreter's
// call machinery: main → interpreter_loop → call_trampoline → fake_builtin →
// interpreter_loop → spin. spin stays below the plugin's frames,
// fake_builtin between them, call_trampoline is dropped (the plugin claims it).
//
// Like a real interpreter, interpreter_loop keeps its frame record on its own
// C stack and does some work after it was entered, before it pushes the
// record on the interpreter's frame stack (set_up_frame), and after it popped
// it, before it returns (tear_down_frame). With the argument "window" the
// inner call is made over and over, so that a third of the time is spent in
// those windows; without it, once for the whole run.
#include <stdint.h>
#include <string.h>
#include <time.h>

// What the plugin's BPF program walks (fake_runtime.bpf.c): the frame stack,
// from toy_top through `previous`.
struct toy_frame {
  uint64_t function;  // 1: fake_leaf, 2: fake_caller
  struct toy_frame* previous;
};
struct toy_frame* volatile toy_top;

enum { kFakeLeaf = 1, kFakeCaller = 2 };
static const uint64_t kWindowWork = 200000;  // per call, before the push and after the pop
static const uint64_t kBodyWork = 800000;

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

__attribute__((noinline)) static uint64_t set_up_frame(uint64_t n) {
  volatile uint64_t sum = 0;
  for (uint64_t i = 0; i < n; ++i) sum += i;
  return sum;
}

__attribute__((noinline)) static uint64_t tear_down_frame(uint64_t n) {
  volatile uint64_t sum = 0;
  for (uint64_t i = 0; i < n; ++i) sum += i;
  return sum;
}

static volatile int calls;  // keeps every call a real call, not a jump
static int repeat_inner;

static void interpreter_loop(uint64_t function, int depth, double seconds);

__attribute__((noinline)) void fake_builtin(int depth, double seconds) {
  interpreter_loop(kFakeLeaf, depth, seconds);
  ++calls;
}

__attribute__((noinline)) static void call_trampoline(int depth, double seconds) {
  fake_builtin(depth, seconds);
  ++calls;
}

__attribute__((noinline)) static void interpreter_loop(uint64_t function, int depth,
                                                       double seconds) {
  struct toy_frame frame = {function, toy_top};
  set_up_frame(kWindowWork);
  toy_top = &frame;
  if (depth > 0) {
    double end = seconds_now() + seconds;
    do {
      call_trampoline(depth - 1, repeat_inner ? 0.0 : seconds);
    } while (repeat_inner && seconds_now() < end);
  } else if (repeat_inner) {
    spin(kBodyWork);
  } else {
    double end = seconds_now() + seconds;
    while (seconds_now() < end) spin(1000000);
  }
  toy_top = frame.previous;
  tear_down_frame(kWindowWork);
  ++calls;
}

int main(int argc, char** argv) {
  repeat_inner = argc > 1 && strcmp(argv[1], "window") == 0;
  interpreter_loop(kFakeCaller, 1, 4.0);
  return 0;
}

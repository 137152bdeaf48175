// Spins in its own code for DELAY seconds (default 5), then dlopens LIBRARY
// (libember_late.so) and spins in its late_work until killed:
//   main → spin_before_dlopen, later main → call_late → late_work → ...
// Prints "ready" at start and "loaded" after the dlopen.
//   late_loader LIBRARY [DELAY]
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

typedef uint64_t (*late_work_fn)(uint64_t);

static double seconds_now(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

__attribute__((noinline)) static uint64_t spin_before_dlopen(uint64_t n) {
  volatile uint64_t sum = 0;
  for (uint64_t i = 0; i < n; ++i) sum += i;
  return sum;
}

static volatile uint64_t sink;  // keeps every call a real call

__attribute__((noinline)) static void call_late(late_work_fn work, uint64_t n) {
  sink += work(n);
  sink += 1;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s LIBRARY [DELAY]\n", argv[0]);
    return 2;
  }
  double delay = argc > 2 ? atof(argv[2]) : 5.0;
  alarm(120);  // never outlives a test run that lost track of it
  printf("ready\n");
  fflush(stdout);
  double start = seconds_now();
  while (seconds_now() - start < delay) sink += spin_before_dlopen(100000);
  void* library = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    fprintf(stderr, "cannot dlopen %s: %s\n", argv[1], dlerror());
    return 1;
  }
  late_work_fn work = (late_work_fn)dlsym(library, "late_work");
  if (!work) {
    fprintf(stderr, "no late_work in %s\n", argv[1]);
    return 1;
  }
  printf("loaded\n");
  fflush(stdout);
  for (;;) call_late(work, 100000);
}

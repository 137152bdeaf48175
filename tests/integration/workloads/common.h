/* Shared bits of the integration workloads: a noinline marker that also stops
 * GCC from cloning (hot_a.constprop.0 would not be named hot_a), a CPU burner
 * the optimiser cannot remove, and a SIGTERM/SIGINT flag for clean exits. */
#ifndef EMBER_IT_COMMON_H
#define EMBER_IT_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#if defined(__clang__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE __attribute__((noinline, noclone))
#endif

static volatile sig_atomic_t g_stop;

static void on_stop(int sig) {
  (void)sig;
  g_stop = 1;
}

static inline void install_stop_handlers(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop;
  sigaction(SIGTERM, &sa, 0);
  sigaction(SIGINT, &sa, 0);
}

static inline uint64_t clock_ns(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* GCC 12 gives a leaf function no frame pointer when it uses no stack, even
 * with -mno-omit-leaf-frame-pointer (clang and newer GCC do push one). The
 * frame-pointer walk from such a leaf skips its caller (main;hot_a instead of
 * main;work;hot_a), so every hot leaf here keeps one volatile local: a stack
 * frame, hence a frame pointer, with either compiler. */
#define FRAME_ANCHOR()         \
  volatile int frame_anchor_ = 0; \
  (void)frame_anchor_

/* The loop body every burner shares: an LCG step the compiler must keep
 * (the empty asm makes x opaque), so work is proportional to iterations. */
#define BURN_LOOP(n, seed)                                   \
  do {                                                       \
    FRAME_ANCHOR();                                          \
    uint64_t x_ = (seed);                                    \
    for (uint64_t i_ = 0; i_ < (n); ++i_) {                  \
      x_ = x_ * 6364136223846793005ull + 1442695040888963407ull; \
      __asm__ volatile("" : "+r"(x_));                       \
    }                                                        \
    g_sink += x_;                                            \
  } while (0)

static volatile uint64_t g_sink;

#endif

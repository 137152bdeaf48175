/* Acceptance 2: busy threads with different, known duty cycles.
 *
 * Thread i (1..N) runs busy_thread_<i>, is named busy-<i> and, every period of wall time, burns
 * i * 15% of the period of its own CPU time (CLOCK_THREAD_CPUTIME_ID) in
 * busy_loop, then sleeps until the next period: nominally 15%, 30%, 45% ...
 * of a CPU. Periods vary at random between 5 and 15 ms, so the threads do not
 * run in lock-step with the sampler's timer (no aliasing). On a
 * machine too busy for that, every thread is always runnable and CFS would
 * even the shares out, so thread i also gets nice 3 * (N - i): the shares stay
 * different whatever the load. The truth the test uses is each thread's
 * measured CPU time over the recording (from /proc/PID/task/TID/schedstat). At start it prints one line per thread: "thread <tid> busy-<i>",
 * then "ready". Runs argv[2] seconds or until SIGTERM; at exit it prints
 * "cpu <tid> <ns>" per thread.
 */
#include "common.h" /* first: defines _GNU_SOURCE */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { kMaxThreads = 8, kMinPeriodNs = 5000000, kPeriodSpanNs = 10000000 };

struct busy {
  pthread_t thread;
  int index;
  int count;
  double seconds;
  volatile pid_t tid;
  uint64_t cpu_ns;
};

NOINLINE void burn_chunk(void) { BURN_LOOP(20000, 0x7); }

NOINLINE void busy_loop(uint64_t busy_ns) {
  uint64_t start = clock_ns(CLOCK_THREAD_CPUTIME_ID);
  while (clock_ns(CLOCK_THREAD_CPUTIME_ID) - start < busy_ns) burn_chunk();
}

NOINLINE void* thread_main(void* arg) {
  struct busy* b = arg;
  char name[16];
  snprintf(name, sizeof name, "busy-%d", b->index);
  pthread_setname_np(pthread_self(), name);
  b->tid = (pid_t)syscall(SYS_gettid);
  setpriority(PRIO_PROCESS, (id_t)b->tid, 3 * (b->count - b->index));

  struct timespec next;
  clock_gettime(CLOCK_MONOTONIC, &next);
  uint64_t end = clock_ns(CLOCK_MONOTONIC) + (uint64_t)(b->seconds * 1e9);
  uint64_t rng = 0x9e3779b97f4a7c15ull * (uint64_t)b->index;
  while (!g_stop && clock_ns(CLOCK_MONOTONIC) < end) {
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    uint64_t period = kMinPeriodNs + (rng >> 33) % kPeriodSpanNs;
    busy_loop((uint64_t)b->index * period * 15 / 100);
    next.tv_nsec += (long)period;
    if (next.tv_nsec >= 1000000000) {
      next.tv_nsec -= 1000000000;
      next.tv_sec += 1;
    }
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, 0);
  }
  b->cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID);
  return 0;
}

/* Each thread enters through its own function, busy_thread_<i>, so a sample
 * carried to the wrong thread shows in the other thread's stacks. */
#define BUSY_ENTRY(i)                          \
  NOINLINE void* busy_thread_##i(void* arg) {  \
    void* result = thread_main(arg);           \
    __asm__ volatile("" ::: "memory");         \
    return result;                             \
  }
BUSY_ENTRY(1)
BUSY_ENTRY(2)
BUSY_ENTRY(3)
BUSY_ENTRY(4)
BUSY_ENTRY(5)
BUSY_ENTRY(6)
BUSY_ENTRY(7)
BUSY_ENTRY(8)
static void* (*const kEntries[kMaxThreads])(void*) = {
    busy_thread_1, busy_thread_2, busy_thread_3, busy_thread_4,
    busy_thread_5, busy_thread_6, busy_thread_7, busy_thread_8};

int main(int argc, char** argv) {
  int n = argc > 1 ? atoi(argv[1]) : 3;
  double seconds = argc > 2 ? atof(argv[2]) : 60.0;
  if (n < 1 || n > kMaxThreads) return 2;
  install_stop_handlers();

  static struct busy threads[kMaxThreads];
  for (int i = 0; i < n; ++i) {
    threads[i].index = i + 1;
    threads[i].count = n;
    threads[i].seconds = seconds;
    pthread_create(&threads[i].thread, 0, kEntries[i], &threads[i]);
  }
  for (int i = 0; i < n; ++i)
    while (threads[i].tid == 0) usleep(1000);
  for (int i = 0; i < n; ++i) printf("thread %d busy-%d\n", (int)threads[i].tid, i + 1);
  printf("ready\n");
  fflush(stdout);
  for (int i = 0; i < n; ++i) pthread_join(threads[i].thread, 0);
  for (int i = 0; i < n; ++i)
    printf("cpu %d %llu\n", (int)threads[i].tid, (unsigned long long)threads[i].cpu_ns);
  return 0;
}

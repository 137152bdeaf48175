/* bench/overhead/workload.c — a fixed amount of CPU-bound work for the overhead bench.
 *
 * The work is a fixed iteration count (not a fixed time), so the CPU time it takes is
 * what a profiler can inflate.  A few non-inlined levels of calls give every sampler a
 * realistic user stack to walk; build it with frame pointers:
 *
 *   cc -O2 -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer -pthread \
 *      -o workload workload.c
 *
 * Usage: workload ITERATIONS [THREADS]   (each thread does ITERATIONS / THREADS)
 * Prints a checksum so the compiler cannot drop the work.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

/* Keeps a value live without letting the optimiser see through it. */
#define KEEP(x) __asm__ volatile("" : "+r"(x))

NOINLINE static uint64_t mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    KEEP(x);
    return x;
}

NOINLINE static uint64_t leaf_a(uint64_t x) {
    for (int i = 0; i < 64; ++i) x = mix(x + (uint64_t)i);
    return x;
}

NOINLINE static uint64_t leaf_b(uint64_t x) {
    for (int i = 0; i < 32; ++i) x = mix(x ^ (uint64_t)i);
    return x;
}

NOINLINE static uint64_t middle(uint64_t x, uint64_t i) {
    return (i % 3 == 0) ? leaf_b(x) : leaf_a(x);
}

struct job {
    uint64_t iterations;
    uint64_t seed;
    uint64_t result;
};

NOINLINE static void *run(void *arg) {
    struct job *j = arg;
    uint64_t x = j->seed;
    for (uint64_t i = 0; i < j->iterations; ++i) x = middle(x, i);
    j->result = x;
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s ITERATIONS [THREADS]\n", argv[0]);
        return 2;
    }
    uint64_t iterations = strtoull(argv[1], NULL, 10);
    int threads = argc > 2 ? atoi(argv[2]) : 1;
    if (threads < 1 || threads > 64 || iterations == 0) {
        fprintf(stderr, "bad arguments\n");
        return 2;
    }
    pthread_t tids[64];
    struct job jobs[64];
    for (int t = 0; t < threads; ++t) {
        jobs[t].iterations = iterations / (uint64_t)threads;
        jobs[t].seed = 0x9e3779b97f4a7c15ULL * (uint64_t)(t + 1);
        if (threads == 1) break;
        if (pthread_create(&tids[t], NULL, run, &jobs[t]) != 0) {
            perror("pthread_create");
            return 1;
        }
    }
    uint64_t sum = 0;
    if (threads == 1) {
        run(&jobs[0]);
        sum = jobs[0].result;
    } else {
        for (int t = 0; t < threads; ++t) {
            pthread_join(tids[t], NULL);
            sum ^= jobs[t].result;
        }
    }
    printf("checksum %016llx\n", (unsigned long long)sum);
    return 0;
}

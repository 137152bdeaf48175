/* bench/soak/churn.c — start short processes at a steady rate until killed.
 *
 * Usage: churn RATE COMMAND [ARGS...]
 *
 * Starts COMMAND RATE times a second (paced by the clock, not by how long each
 * run takes, so a slow exec does not lower the rate below what it can be), reaps
 * every child, and on SIGINT/SIGTERM prints "started N" to stdout and exits.
 * A Python loop cannot start hundreds of processes a second on two CPUs without
 * being most of the load itself; this costs one fork and exec per process.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stopping = 0;

static void stop(int sig) {
    (void)sig;
    stopping = 1;
}

static void reap(void) {
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
}

int main(int argc, char **argv) {
    if (argc < 3 || atoi(argv[1]) <= 0) {
        fprintf(stderr, "usage: churn RATE COMMAND [ARGS...]\n");
        return 2;
    }
    const long period_ns = 1000000000L / atoi(argv[1]);
    signal(SIGINT, stop);
    signal(SIGTERM, stop);
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    unsigned long started = 0;
    while (!stopping) {
        pid_t pid = fork();
        if (pid == 0) {
            execvp(argv[2], argv + 2);
            _exit(127);
        }
        if (pid > 0) started++;
        reap();
        next.tv_nsec += period_ns;
        while (next.tv_nsec >= 1000000000L) {
            next.tv_nsec -= 1000000000L;
            next.tv_sec++;
        }
        /* A second behind (the host was saturated): start from now rather than
         * catching up in one burst. */
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec > next.tv_sec + 1) next = now;
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
    }
    while (wait(NULL) > 0) {
    }
    printf("started %lu\n", started);
    return 0;
}

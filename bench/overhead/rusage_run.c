/* bench/overhead/rusage_run.c — run a command, report its rusage.
 *
 * Usage: rusage_run OUTFILE COMMAND [ARGS...]
 *
 * Forks and execs COMMAND, forwards SIGINT and SIGTERM to it, waits for it, and writes
 * one line to OUTFILE:  status=N utime=S stime=S maxrss_kb=K
 * (status: the exit code, or -SIGNAL when a signal ended it).
 *
 * Why not wait4 straight from the Python script: on exec the kernel records the
 * pre-exec memory's high-water mark in the process' maxrss, so a command forked
 * from a 40 MB Python process never reports a peak RSS below 40 MB.  Forked from
 * this small program instead, the command's ru_maxrss is its own.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile pid_t child = -1;

static void forward(int sig) {
    if (child > 0) kill(child, sig);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s OUTFILE COMMAND [ARGS...]\n", argv[0]);
        return 2;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = forward;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 1;
    }
    if (pid == 0) {
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        execvp(argv[2], argv + 2);
        fprintf(stderr, "rusage_run: cannot run %s: %s\n", argv[2], strerror(errno));
        _exit(127);
    }
    child = pid;

    int status = 0;
    struct rusage ru;
    while (wait4(pid, &status, 0, &ru) < 0) {
        if (errno != EINTR) {
            perror("wait4");
            return 1;
        }
    }
    FILE *out = fopen(argv[1], "w");
    if (!out) {
        perror(argv[1]);
        return 1;
    }
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    fprintf(out, "status=%d utime=%ld.%06ld stime=%ld.%06ld maxrss_kb=%ld\n", code,
            (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec, (long)ru.ru_stime.tv_sec,
            (long)ru.ru_stime.tv_usec, ru.ru_maxrss);
    fclose(out);
    return 0;
}

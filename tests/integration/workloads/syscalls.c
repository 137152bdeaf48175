/* Acceptance 3: a syscall-heavy program. main -> syscall_loop, which reads
 * 64 KiB from /dev/zero (read_devzero: the kernel spends its time clearing user
 * memory) and writes 1 byte to /dev/null (write_devnull). read_devzero issues the
 * syscall itself, so it is the innermost user frame and the frame-pointer walk
 * from the syscall's user registers starts inside it; write_devnull goes through
 * libc's write(), as ordinary programs do. Runs argv[1] seconds or until
 * SIGTERM.
 */
#include "common.h" /* first: defines _GNU_SOURCE */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static char g_buf[65536];

NOINLINE long read_devzero(int fd) {
  FRAME_ANCHOR();
#if defined(__x86_64__)
  long ret;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"((long)SYS_read), "D"((long)fd), "S"(g_buf), "d"(sizeof g_buf)
                   : "rcx", "r11", "memory");
  return ret;
#else
  return syscall(SYS_read, fd, g_buf, sizeof g_buf);
#endif
}

NOINLINE long write_devnull(int fd) { return write(fd, g_buf, 1); }

NOINLINE void syscall_loop(int zero, int null, uint64_t end) {
  while (!g_stop && clock_ns(CLOCK_MONOTONIC) < end) {
    for (int i = 0; i < 64; ++i) {
      if (read_devzero(zero) <= 0) abort();
      if (write_devnull(null) != 1) abort();
    }
  }
}

int main(int argc, char** argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 60.0;
  install_stop_handlers();
  int zero = open("/dev/zero", O_RDONLY);
  int null = open("/dev/null", O_WRONLY);
  if (zero < 0 || null < 0) return 2;
  printf("ready\n");
  fflush(stdout);
  syscall_loop(zero, null, clock_ns(CLOCK_MONOTONIC) + (uint64_t)(seconds * 1e9));
  return 0;
}

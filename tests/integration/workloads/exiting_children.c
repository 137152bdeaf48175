/* Children whose life is almost all exit: maps MiB of memory in 4 KiB pages,
 * prints "ready", waits for a line on stdin, then forks N children, each
 * calling _exit at once (reaped after the last fork), so its time goes to the kernel
 * unmapping that memory after the process' exit tracepoint. Prints "done N"
 * and waits for stdin to close. Usage: exiting_children N [MIB]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  int children = argc > 1 ? atoi(argv[1]) : 400;
  size_t size = (size_t)(argc > 2 ? atoi(argv[2]) : 256) << 20;
  char *memory = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  madvise(memory, size, MADV_NOHUGEPAGE); /* a page table entry per 4 KiB */
  memset(memory, 1, size);
  printf("ready\n");
  fflush(stdout);
  char line[16];
  if (!fgets(line, sizeof line, stdin)) return 1;
  int forked = 0;
  for (int i = 0; i < children; i++) {
    pid_t pid = fork();
    if (pid == 0) _exit(0);
    if (pid < 0) {
      perror("fork");
      break;
    }
    forked++;
  }
  while (wait(NULL) > 0) {
  }
  printf("done %d\n", forked);
  fflush(stdout);
  while (fgets(line, sizeof line, stdin)) {
  }
  return 0;
}

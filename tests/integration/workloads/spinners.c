/* Load: N threads that only spin, at normal priority, for argv[2] seconds
 * (default 60): the agent must keep its windows on time beside them. Prints
 * "ready" once every thread runs. Usage: spinners N [SECONDS]. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static volatile unsigned long sink;

static void *spin(void *arg) {
  (void)arg;
  for (;;) sink++;
  return NULL;
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 500;
  int seconds = argc > 2 ? atoi(argv[2]) : 60;
  for (int i = 0; i < threads; i++) {
    pthread_t thread;
    if (pthread_create(&thread, NULL, spin, NULL) != 0) {
      perror("pthread_create");
      return 1;
    }
  }
  printf("ready\n");
  fflush(stdout);
  sleep((unsigned)seconds);
  return 0;
}

/* One of the many units of aranges_fixture, built with -DUNIT=n, each with
 * the types of a few libc headers in its DWARF (as libc's own units and
 * libpython's have): an abbreviation table libdw reads to decode the
 * unit's DIE. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#define JOIN2(a, b) a##b
#define JOIN(a, b) JOIN2(a, b)

struct JOIN(shape_, UNIT) {
  int kind;
  union {
    double radius;
    struct {
      float width, height;
    } box;
  } size;
  enum { RED, GREEN } color;
  unsigned bits : 3;
};

__attribute__((noinline)) int JOIN(small_unit_, UNIT)(FILE* f, struct stat* st,
                                                      pthread_mutex_t* mutex,
                                                      struct sigaction* action, struct tm* t,
                                                      struct JOIN(shape_, UNIT) * shape) {
  char text[64];
  snprintf(text, sizeof text, "%ld %d %p %d %f", (long)st->st_size, t->tm_year, (void*)mutex,
           action->sa_flags, shape->size.radius);
  return fputs(text, f) + shape->kind * UNIT + (int)shape->bits;
}

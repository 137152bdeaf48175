/* Issue 4 acceptance: C++ built -O2 -fomit-frame-pointer (see CMakeLists.txt)
 * with a call tree four deep: main -> run -> parse -> tokenize (~60% of CPU)
 * and main -> run -> evaluate (~40%). A frame-pointer walk cannot follow it;
 * DWARF unwinding must.
 *
 * With --libc, run also sorts records with qsort (comparator compare_records,
 * called by libc, which has no frame pointers either) from sort_records, and
 * copies large buffers with memcpy from copy_buffers.
 *
 * Truth: run reads CLOCK_THREAD_CPUTIME_ID around each call (outside the
 * measured functions) and on SIGTERM/SIGINT or after argv[1] seconds prints
 *   parse_ns=<n> evaluate_ns=<n> sort_ns=<n> copy_ns=<n> rounds=<n>
 */
#include "common.h" /* first: defines _GNU_SOURCE */

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

uint64_t g_unit = 100000;

NOINLINE void tokenize(uint64_t n) { BURN_LOOP(n, 0x70); }

NOINLINE void parse(uint64_t n) {
  tokenize(n);
  __asm__ volatile("" ::: "memory"); /* no tail call: parse keeps its frame */
}

NOINLINE void evaluate(uint64_t n) { BURN_LOOP(n, 0xe7); }

struct Record {
  uint64_t key;
  char pad[24];
};

NOINLINE int compare_records(const void* a, const void* b) {
  uint64_t x = static_cast<const Record*>(a)->key, y = static_cast<const Record*>(b)->key;
  for (int i = 0; i < 8; ++i) { /* a comparator worth sampling */
    x = x * 6364136223846793005ull + 1;
    __asm__ volatile("" : "+r"(x));
  }
  return (x > y) - (x < y);
}

NOINLINE void sort_records(std::vector<Record>& records) {
  for (size_t i = 0; i < records.size(); ++i) records[i].key = (i * 2654435761u) % 1000003;
  qsort(records.data(), records.size(), sizeof(Record), compare_records);
  __asm__ volatile("" ::: "memory");
}

NOINLINE void copy_buffers(std::vector<char>& a, std::vector<char>& b) {
  for (int i = 0; i < 8; ++i) {
    memcpy(a.data(), b.data(), a.size());
    __asm__ volatile("" ::: "memory");
    memcpy(b.data(), a.data(), b.size());
    __asm__ volatile("" ::: "memory");
  }
}

struct Totals {
  uint64_t parse = 0, evaluate = 0, sort = 0, copy = 0, rounds = 0;
};

NOINLINE void run(double seconds, bool libc, Totals& t) {
  std::vector<Record> records(20000);
  std::vector<char> a(8 << 20, 1), b(8 << 20, 2);
  uint64_t end = clock_ns(CLOCK_MONOTONIC) + static_cast<uint64_t>(seconds * 1e9);
  while (!g_stop && clock_ns(CLOCK_MONOTONIC) < end) {
    uint64_t t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    parse(6 * g_unit);
    uint64_t t1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    evaluate(4 * g_unit);
    uint64_t t2 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    t.parse += t1 - t0;
    t.evaluate += t2 - t1;
    if (libc) {
      sort_records(records);
      uint64_t t3 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
      copy_buffers(a, b);
      uint64_t t4 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
      t.sort += t3 - t2;
      t.copy += t4 - t3;
    }
    ++t.rounds;
  }
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 60.0;
  bool libc = argc > 2 && strcmp(argv[2], "--libc") == 0;
  install_stop_handlers();

  /* One unit ~ 1 ms of CPU: calibrate, so a round is ~10 ms on any CPU. */
  for (;;) {
    uint64_t t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    evaluate(g_unit);
    uint64_t dt = clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0;
    if (dt >= 2000000 || g_unit > (1ull << 40)) {
      g_unit = g_unit * 1000000ull / (dt ? dt : 1);
      break;
    }
    g_unit *= 4;
  }
  printf("ready unit=%llu\n", static_cast<unsigned long long>(g_unit));
  fflush(stdout);
  Totals t;
  run(seconds, libc, t);
  printf("parse_ns=%llu evaluate_ns=%llu sort_ns=%llu copy_ns=%llu rounds=%llu\n",
         static_cast<unsigned long long>(t.parse), static_cast<unsigned long long>(t.evaluate),
         static_cast<unsigned long long>(t.sort), static_cast<unsigned long long>(t.copy),
         static_cast<unsigned long long>(t.rounds));
  return 0;
}

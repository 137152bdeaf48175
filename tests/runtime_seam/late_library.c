// libember_late.so: the library the late-mapping workload dlopens a few
// seconds after it starts and the late test plugin claims. Every function is
// a real frame (frame pointers, no inlining, no sibling calls).
#include <stdint.h>

__attribute__((noinline)) uint64_t late_spin_inner(uint64_t n) {
  volatile uint64_t sum = 0;
  for (uint64_t i = 0; i < n; ++i) sum += i * 3;
  return sum;
}

__attribute__((noinline)) uint64_t late_spin_outer(uint64_t n) {
  return late_spin_inner(n) + late_spin_inner(n / 2) + 1;
}

uint64_t late_work(uint64_t n) { return late_spin_outer(n) + 1; }

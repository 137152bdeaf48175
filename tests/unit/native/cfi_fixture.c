/* Built twice (tests/unit/native/CMakeLists.txt): with and without frame
 * pointers, so the .eh_frame scan has both kinds of object to judge. */
__attribute__((noinline)) int cfi_leaf(int x) { return x * 3 + 1; }

__attribute__((noinline)) int cfi_work(int n) {
  volatile int sum = 0;
  for (int i = 0; i < n; ++i) sum += cfi_leaf(i);
  return sum + cfi_leaf(n);
}

int cfi_entry(int n) { return cfi_work(n) + cfi_work(n + 1); }

// C between two Go frames: main.main calls call_host through cgo, which
// calls back into Go (hostWork).
#include <stdint.h>

#include "_cgo_export.h"

__attribute__((noinline)) uint64_t call_host(int n) { return hostWork(n) + 1; }

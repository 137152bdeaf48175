// The slow-service story as the agent records it, shared by the runtime
// view's tests and the fleet report's: a Python handler whose builtins run
// in Debian's stripped python3.11, with a C extension, libc, the kernel and
// unnamed code around it.
#pragma once

#include <string>

#include "ember/window.hpp"

namespace ember::test {

// A frame named `name` in `module` (no source file).
inline Frame module_frame(std::string module, std::string name,
                          std::string kind = frame_kind::native) {
  Frame f;
  f.name = std::move(name);
  f.module = std::move(module);
  f.kind = std::move(kind);
  return f;
}

// pid 7 (python3.11 running server.py), threads 7 and 8 ("gc"); 100 samples.
inline Window python_service_window() {
  Window w;
  w.start_ns = 1;
  w.end_ns = 2;
  w.frequency_hz = 99;
  w.frames = {
      module_frame("python3.11", "_start"),                                            // 0
      module_frame("python3.11", "Py_BytesMain"),                                      // 1
      module_frame("server.py", "<module>", frame_kind::python),                       // 2
      module_frame("server.py", "handle", frame_kind::python),                         // 3
      module_frame("server.py", "select_top_naive", frame_kind::python),               // 4
      module_frame("python3.11", "builtin_max"),                                       // 5
      module_frame("python3.11", "PyIter_Next"),                                       // 6
      module_frame("python3.11", "python3.11+0x5a22d4"),                               // 7
      module_frame("python3.11", "python3.11+0x5a1000"),                               // 8
      module_frame("_multiarray_umath.cpython-311-x86_64-linux-gnu.so", "ufunc_add"),  // 9
      module_frame("libc.so.6", "__memmove_avx_unaligned"),                            // 10
      module_frame("", "entry_SYSCALL_64", frame_kind::kernel),                        // 11
      module_frame("libfoo.so", "libfoo.so+0x1234"),                                   // 12
      module_frame("libfoo.so", "libfoo.so+0x5678"),                                   // 13
  };
  w.stacks = {
      {0, 1, 2, 3, 4, 5, 6},  // builtin_max's work: select_top_naive's
      {0, 1, 2, 3, 4, 7, 8},  // unnamed interpreter code: the same
      {0, 1, 2, 3, 9, 10},    // a C extension and libc stay
      {0, 1, 2, 3, 5, 11},    // the kernel stays
      {0, 7, 8},              // a thread without Python: nothing folds
      {0, 1, 12, 13},         // an unnamed library
  };
  w.samples = {{0, 7, 7, 60}, {1, 7, 7, 20}, {2, 7, 7, 10},
               {3, 7, 7, 5},  {4, 7, 8, 3},  {5, 7, 7, 2}};
  w.processes = {{7, "python3.11", "/usr/bin/python3.11", "python3 server.py"}};
  w.threads = {{7, 7, "python3.11"}, {7, 8, "gc"}};
  return w;
}

}  // namespace ember::test

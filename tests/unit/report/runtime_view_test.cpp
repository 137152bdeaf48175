#include "runtime_view.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "function_stats.hpp"

namespace ember::report {
namespace {

Frame in(std::string module, std::string name, std::string kind = frame_kind::native) {
  Frame f;
  f.name = std::move(name);
  f.module = std::move(module);
  f.kind = std::move(kind);
  return f;
}

// The slow-service story as the agent records it: a Python handler whose
// builtins run in Debian's stripped python3.11.
Window service_window() {
  Window w;
  w.start_ns = 1;
  w.end_ns = 2;
  w.frequency_hz = 99;
  w.frames = {
      in("python3.11", "_start"),                             // 0
      in("python3.11", "Py_BytesMain"),                       // 1
      in("server.py", "<module>", frame_kind::python),        // 2
      in("server.py", "handle", frame_kind::python),          // 3
      in("server.py", "select_top_naive", frame_kind::python),  // 4
      in("python3.11", "builtin_max"),                        // 5
      in("python3.11", "PyIter_Next"),                        // 6
      in("python3.11", "python3.11+0x5a22d4"),                // 7
      in("python3.11", "python3.11+0x5a1000"),                // 8
      in("_multiarray_umath.cpython-311-x86_64-linux-gnu.so", "ufunc_add"),  // 9
      in("libc.so.6", "__memmove_avx_unaligned"),             // 10
      in("", "entry_SYSCALL_64", frame_kind::kernel),         // 11
      in("libfoo.so", "libfoo.so+0x1234"),                    // 12
      in("libfoo.so", "libfoo.so+0x5678"),                    // 13
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

std::vector<std::string> names(const Window& w, std::uint32_t stack) {
  std::vector<std::string> out;
  for (std::uint32_t f : w.stacks[stack]) out.push_back(w.frames[f].name);
  return out;
}

// The stack a sample of the given original index reads as in the view.
std::vector<std::string> viewed(const RuntimeView& view, std::size_t sample) {
  return names(view.window, view.window.samples[sample].stack);
}

const FunctionStats* function(const FunctionTable& table, const std::string& name) {
  for (const FunctionStats& f : table.functions) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

TEST(RuntimeViewTest, InterpreterInternalsFoldIntoThePythonFrameCallingThem) {
  Window recorded = service_window();
  RuntimeView view = runtime_view(recorded);
  using V = std::vector<std::string>;
  V handler = {"_start", "Py_BytesMain", "<module>", "handle", "select_top_naive"};
  EXPECT_EQ(viewed(view, 0), handler);
  EXPECT_EQ(viewed(view, 1), handler);
  EXPECT_EQ(view.window.samples[0].stack, view.window.samples[1].stack);
  EXPECT_EQ(viewed(view, 2), (V{"_start", "Py_BytesMain", "<module>", "handle", "ufunc_add",
                                "__memmove_avx_unaligned"}));
  EXPECT_EQ(viewed(view, 3),
            (V{"_start", "Py_BytesMain", "<module>", "handle", "entry_SYSCALL_64"}));
  EXPECT_EQ(viewed(view, 4), (V{"_start", "python3.11 [no symbols]"}));
  EXPECT_EQ(viewed(view, 5), (V{"_start", "Py_BytesMain", "libfoo.so [no symbols]"}));
  EXPECT_EQ(view.changed_samples, 60u + 20 + 5 + 3 + 2);

  EXPECT_EQ(view.window.total_samples(), recorded.total_samples());
  EXPECT_EQ(view.window.processes.size(), 1u);
  EXPECT_EQ(view.window.threads.size(), 2u);
  EXPECT_EQ(view.window.samples[4].tid, 8u);
}

TEST(RuntimeViewTest, TheCulpritIsTheFirstPythonRowBySelf) {
  FunctionTable native = function_table(service_window());
  FunctionTable runtime = function_table(runtime_view(service_window()).window);
  ASSERT_NE(function(native, "select_top_naive"), nullptr);
  EXPECT_EQ(function(native, "select_top_naive")->self, 0u);
  EXPECT_EQ(function(runtime, "select_top_naive")->self, 80u);
  EXPECT_EQ(runtime.functions.front().name, "select_top_naive");
  EXPECT_EQ(function(runtime, "builtin_max"), nullptr);
  EXPECT_EQ(function(runtime, "PyIter_Next"), nullptr);
  EXPECT_EQ(function(runtime, "__memmove_avx_unaligned")->self, 10u);
  EXPECT_EQ(function(runtime, "python3.11 [no symbols]")->self, 3u);
  EXPECT_EQ(function(runtime, "libfoo.so [no symbols]")->self, 2u);
}

TEST(RuntimeViewTest, JavaAndNodeInternalsFoldOnlyUnderTheirOwnFrames) {
  Window w;
  w.frames = {in("libjvm.so", "thread_native_entry"), in("Main.java", "Main.run", frame_kind::java),
              in("libjvm.so", "InterpreterRuntime::resolve"), in("app.js", "handler", frame_kind::node),
              in("node", "Builtins_ArrayMap"), in("libnode.so.108", "v8::internal::Heap::Scavenge")};
  w.stacks = {{0, 1, 2}, {0, 2}, {3, 4, 5}, {1, 4}};
  w.samples = {{0, 1, 1, 1}, {1, 1, 2, 1}, {2, 2, 2, 1}, {3, 3, 3, 1}};
  RuntimeView view = runtime_view(w);
  using V = std::vector<std::string>;
  EXPECT_EQ(viewed(view, 0), (V{"thread_native_entry", "Main.run"}));
  EXPECT_EQ(viewed(view, 1), (V{"thread_native_entry", "InterpreterRuntime::resolve"}));
  EXPECT_EQ(viewed(view, 2), (V{"handler"}));
  // node's code under a Java frame is not Java's internal: it stays.
  EXPECT_EQ(viewed(view, 3), (V{"Main.run", "Builtins_ArrayMap"}));
}

TEST(RuntimeViewTest, RuntimeObjectsAreTheShippedRuntimesOwn) {
  EXPECT_STREQ(runtime_of_object("libpython3.12.so.1.0"), frame_kind::python);
  EXPECT_STREQ(runtime_of_object("/usr/bin/python3.11"), frame_kind::python);
  EXPECT_STREQ(runtime_of_object("python3.12d"), frame_kind::python);
  EXPECT_STREQ(runtime_of_object("python2.7"), frame_kind::python);
  EXPECT_STREQ(runtime_of_object("libjvm.so"), frame_kind::java);
  EXPECT_STREQ(runtime_of_object("node"), frame_kind::node);
  EXPECT_STREQ(runtime_of_object("libnode.so.108"), frame_kind::node);
  EXPECT_EQ(runtime_of_object("pythonista"), nullptr);
  EXPECT_EQ(runtime_of_object("libc.so.6"), nullptr);
  EXPECT_EQ(runtime_of_object("_multiarray_umath.cpython-311-x86_64-linux-gnu.so"), nullptr);
}

TEST(RuntimeViewTest, ANativeProgramOnlyGroupsItsUnnamedAddresses) {
  Window w;
  w.frames = {in("xz", "main"), in("xz", "lzma_code"), in("liblzma.so.5", "liblzma.so.5+0x1a2b")};
  w.stacks = {{0, 1}, {0, 2}};
  w.samples = {{0, 1, 1, 4}, {1, 1, 1, 6}};
  RuntimeView view = runtime_view(w);
  EXPECT_EQ(view.window.stacks[0], w.stacks[0]);
  EXPECT_EQ(viewed(view, 1), (std::vector<std::string>{"main", "liblzma.so.5 [no symbols]"}));
  EXPECT_EQ(view.changed_samples, 6u);
}

TEST(RuntimeViewTest, ChangedSamplesAreCountedWithoutMakingTheView) {
  Window java;
  java.frames = {in("libjvm.so", "thread_native_entry"),
                 in("Main.java", "Main.run", frame_kind::java),
                 in("libjvm.so", "InterpreterRuntime::resolve"), in("libc.so.6", "read")};
  java.stacks = {{0, 1, 2}, {0, 2}, {0, 1, 3}, {0, 1, 2, 9}};  // 9: past the frames
  java.samples = {{0, 1, 1, 3}, {1, 1, 2, 5}, {2, 1, 1, 7}, {3, 1, 1, 11}, {0, 1, 2, 13}};
  Window native;
  native.frames = {in("xz", "main")};
  native.stacks = {{0}};
  native.samples = {{0, 1, 1, 4}};
  for (const Window& w : {service_window(), java, native}) {
    EXPECT_EQ(runtime_view_changed_samples(w), runtime_view(w).changed_samples);
  }
  EXPECT_EQ(runtime_view_changed_samples(java), 3u + 11 + 13);
  EXPECT_EQ(runtime_view_changed_samples(service_window()), 60u + 20 + 5 + 3 + 2);
}

}  // namespace
}  // namespace ember::report

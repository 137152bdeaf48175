#include "runtime_view.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "function_stats.hpp"
#include "python_service_window.hpp"

namespace ember::report {
namespace {

using test::module_frame;
using test::python_service_window;

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
  Window recorded = python_service_window();
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

TEST(RuntimeViewTest, TheViewHoldsOnlyTheFramesItsStacksShow) {
  const Window recorded = python_service_window();
  for (const RuntimeView& view : {runtime_view(recorded), runtime_view_of(recorded)}) {
    const Window& w = view.window;
    std::vector<bool> shown(w.frames.size());
    for (const auto& stack : w.stacks) {
      for (std::uint32_t f : stack) {
        ASSERT_LT(f, w.frames.size());
        shown[f] = true;
      }
    }
    for (std::size_t i = 0; i < w.frames.size(); ++i) {
      EXPECT_TRUE(shown[i]) << w.frames[i].name << " is in no stack of the view";
      EXPECT_NE(w.frames[i].name, "builtin_max");  // folded into select_top_naive
      EXPECT_NE(w.frames[i].name, "PyIter_Next");
    }
    EXPECT_LT(w.frames.size(), recorded.frames.size());
    EXPECT_EQ(w.frames.capacity(), w.frames.size());
  }
}

TEST(RuntimeViewTest, TheCulpritIsTheFirstPythonRowBySelf) {
  FunctionTable native = function_table(python_service_window());
  FunctionTable runtime = function_table(runtime_view(python_service_window()).window);
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
  w.frames = {module_frame("libjvm.so", "thread_native_entry"),
              module_frame("Main.java", "Main.run", frame_kind::java),
              module_frame("libjvm.so", "InterpreterRuntime::resolve"),
              module_frame("app.js", "handler", frame_kind::node),
              module_frame("node", "Builtins_ArrayMap"),
              module_frame("libnode.so.108", "v8::internal::Heap::Scavenge")};
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
  w.frames = {module_frame("xz", "main"), module_frame("xz", "lzma_code"),
              module_frame("liblzma.so.5", "liblzma.so.5+0x1a2b")};
  w.stacks = {{0, 1}, {0, 2}};
  w.samples = {{0, 1, 1, 4}, {1, 1, 1, 6}};
  RuntimeView view = runtime_view(w);
  EXPECT_EQ(view.window.stacks[0], w.stacks[0]);
  EXPECT_EQ(viewed(view, 1), (std::vector<std::string>{"main", "liblzma.so.5 [no symbols]"}));
  EXPECT_EQ(view.changed_samples, 6u);
}

TEST(RuntimeViewTest, ChangedSamplesAreCountedWithoutMakingTheView) {
  Window java;
  java.frames = {module_frame("libjvm.so", "thread_native_entry"),
                 module_frame("Main.java", "Main.run", frame_kind::java),
                 module_frame("libjvm.so", "InterpreterRuntime::resolve"),
                 module_frame("libc.so.6", "read")};
  java.stacks = {{0, 1, 2}, {0, 2}, {0, 1, 3}, {0, 1, 2, 9}};  // 9: past the frames
  java.samples = {{0, 1, 1, 3}, {1, 1, 2, 5}, {2, 1, 1, 7}, {3, 1, 1, 11}, {0, 1, 2, 13}};
  Window native;
  native.frames = {module_frame("xz", "main")};
  native.stacks = {{0}};
  native.samples = {{0, 1, 1, 4}};
  for (const Window& w : {python_service_window(), java, native}) {
    EXPECT_EQ(runtime_view_changed_samples(w), runtime_view(w).changed_samples);
  }
  EXPECT_EQ(runtime_view_changed_samples(java), 3u + 11 + 13);
  EXPECT_EQ(runtime_view_changed_samples(python_service_window()), 60u + 20 + 5 + 3 + 2);
}

// Windows of several runtimes' stacks, unnamed addresses among their frames
// and frame indices past the frames.
Window random_runtime_window(std::mt19937& random) {
  const char* modules[] = {"python3.11", "libjvm.so", "node", "libc.so.6", "libfoo.so", "app"};
  const char* kinds[] = {frame_kind::native, frame_kind::python, frame_kind::java,
                         frame_kind::node, frame_kind::kernel};
  Window w;
  w.start_ns = random();
  w.end_ns = w.start_ns + 60;
  w.frequency_hz = 999;
  w.lost_samples = random() % 5;
  w.host = "host";
  const std::size_t frames = 1 + random() % 300;
  for (std::size_t i = 0; i < frames; ++i) {
    std::string module = modules[random() % 6];
    const char* kind = kinds[random() % 5];
    std::string name = random() % 3 == 0 ? module + "+0x" + std::to_string(1000 + random() % 50)
                                         : "f" + std::to_string(random() % 200);
    w.frames.push_back(module_frame(module, name, kind));
  }
  const std::size_t stacks = 1 + random() % 400;
  for (std::size_t i = 0; i < stacks; ++i) {
    std::vector<std::uint32_t>& stack = w.stacks.emplace_back();
    for (std::size_t depth = 1 + random() % 12; depth > 0; --depth) {
      stack.push_back(static_cast<std::uint32_t>(random() % (frames + 2)));
    }
  }
  for (std::size_t i = random() % 600; i > 0; --i) {
    w.samples.push_back({static_cast<std::uint32_t>(random() % (stacks + 1)), 7,
                         static_cast<std::uint32_t>(7 + random() % 3), 1 + random() % 9});
  }
  w.processes = {{7, "python3.11", "/usr/bin/python3.11", "python3 server.py"}};
  w.threads = {{7, 7, "a"}, {7, 8, "b"}, {7, 9, "c"}};
  w.host_metrics = {{w.end_ns, 0.5, 100, 50}};
  w.process_metrics = {{w.end_ns, 7, 0.25, 1000}};
  w.frame_kinds = {{"toy", "#123456"}};
  w.label_sets = {{{"k", "v"}}};
  return w;
}

void expect_same_view_window(const Window& a, const Window& b) {
  EXPECT_EQ(a.start_ns, b.start_ns);
  EXPECT_EQ(a.end_ns, b.end_ns);
  EXPECT_EQ(a.frequency_hz, b.frequency_hz);
  EXPECT_EQ(a.frames, b.frames);
  EXPECT_EQ(a.stacks, b.stacks);
  ASSERT_EQ(a.samples.size(), b.samples.size());
  for (std::size_t i = 0; i < a.samples.size(); ++i) {
    EXPECT_EQ(a.samples[i].stack, b.samples[i].stack);
    EXPECT_EQ(a.samples[i].tid, b.samples[i].tid);
    EXPECT_EQ(a.samples[i].count, b.samples[i].count);
  }
  ASSERT_EQ(a.processes.size(), b.processes.size());
  EXPECT_EQ(a.processes[0].cmdline, b.processes[0].cmdline);
  ASSERT_EQ(a.threads.size(), b.threads.size());
  EXPECT_EQ(a.threads.back().name, b.threads.back().name);
  EXPECT_EQ(a.lost_samples, b.lost_samples);
  EXPECT_EQ(a.host, b.host);
  ASSERT_EQ(a.host_metrics.size(), b.host_metrics.size());
  ASSERT_EQ(a.process_metrics.size(), b.process_metrics.size());
  ASSERT_EQ(a.frame_kinds.size(), b.frame_kinds.size());
  EXPECT_EQ(a.label_sets, b.label_sets);
}

TEST(RuntimeViewTest, TheViewOfAKeptWindowIsTheViewOfItsCopy) {
  std::mt19937 random(7);
  for (int round = 0; round < 200; ++round) {
    const Window w = random_runtime_window(random);
    const Window before = w;
    RuntimeView copied = runtime_view(Window(w));
    RuntimeView kept = runtime_view_of(w);
    expect_same_view_window(kept.window, copied.window);
    EXPECT_EQ(kept.changed_samples, copied.changed_samples);
    expect_same_view_window(w, before);  // untouched
    // The frames grew once, to their size: a push_back past the capacity
    // would have doubled the largest array of the view.
    if (runtime_view_changes(w)) {
      EXPECT_EQ(kept.window.frames.capacity(), kept.window.frames.size());
    }
    if (HasFailure()) break;
  }
}

TEST(RuntimeViewTest, TheViewOfAWindowGrowsItsFramesOnce) {
  Window w = python_service_window();
  w.frames.shrink_to_fit();
  RuntimeView view = runtime_view(std::move(w));
  EXPECT_EQ(view.window.frames.capacity(), view.window.frames.size());
}

}  // namespace
}  // namespace ember::report

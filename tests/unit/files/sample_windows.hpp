// Small hand-built windows shared by the files tests.
#pragma once

#include <random>
#include <vector>

#include "ember/window.hpp"

namespace ember::test {

inline Frame frame(std::string name, std::string kind = frame_kind::native, std::string file = "",
                   std::uint32_t line = 0) {
  Frame f;
  f.name = std::move(name);
  f.kind = std::move(kind);
  f.file = std::move(file);
  f.line = line;
  return f;
}

// Two python3 processes running the same code (pids 100 and 200, thread 101
// named worker-1 in a syscall) and nginx with a frame name that needs escaping.
inline Window sample_window() {
  Window w;
  w.start_ns = 1'795'633'512'000'000'000;  // 2026-11-25T19:05:12Z
  w.end_ns = w.start_ns + 60'000'000'000;
  w.frequency_hz = 99;
  w.lost_samples = 4;
  w.frames = {
      frame("main", frame_kind::native, "main.c", 10),
      frame("handler", frame_kind::python, "app.py", 3),
      frame("do_sys_open", frame_kind::kernel),
      frame("weird;name\nx"),
  };
  w.stacks = {{0, 1}, {0, 1, 2}, {0, 3}};
  w.samples = {
      {0, 100, 100, 5},
      {0, 200, 200, 3},
      {1, 100, 101, 2},
      {2, 300, 300, 1},
  };
  w.processes = {
      {100, "python3", "/usr/bin/python3.11", "python3 app.py", "", 0, 0, "", "", "", ""},
      {200, "python3", "/usr/bin/python3.11", "python3 \"quoted\" \\ back", "", 0, 0, "", "", "", ""},
      {300, "nginx", "/usr/sbin/nginx", "nginx: worker \xff\xfe", std::string(64, 'a'), 0, 0, "", "", "", ""},
  };
  w.threads = {
      {100, 100, "python3"},
      {100, 101, "worker-1"},
      {200, 200, "python3"},
      {300, 300, "nginx"},
  };
  return w;
}

// sample_window() with labels a runtime plugin gave: pid 100's 5 samples of
// stack 0 split into 3 with goroutine=worker and 2 with goroutine=main and
// route=/buy; its thread-101 sample has goroutine=worker too.
inline Window labelled_sample_window() {
  Window w = sample_window();
  w.label_sets = {{{"goroutine", "worker"}}, {{"goroutine", "main"}, {"route", "/buy"}}};
  w.samples[0].count = 3;
  w.samples[0].labels = 1;
  w.samples[2].labels = 1;
  w.samples.push_back({0, 100, 100, 2, 2});
  return w;
}

// A later window of pid 100 whose frame table is in another order.
inline Window later_window() {
  Window w;
  w.start_ns = 1'795'633'572'000'000'000;  // 60 s later
  w.end_ns = w.start_ns + 60'000'000'000;
  w.frequency_hz = 99;
  w.lost_samples = 1;
  w.frames = {
      frame("handler", frame_kind::python, "app.py", 3),
      frame("main", frame_kind::native, "main.c", 10),
      frame("idle"),
  };
  w.stacks = {{1, 0}, {1, 2}};
  w.samples = {
      {0, 100, 100, 7},
      {1, 100, 100, 1},
  };
  w.processes = {{100, "python3", "/usr/bin/python3.11", "python3 app.py", "", 0, 0, "", "", "", ""}};
  w.threads = {{100, 100, "python3"}};
  return w;
}

// `count` windows of a churning host: frames that only some windows have
// (in different orders), the same stack under several pids, names that are
// prefixes of each other, Python frames over libpython internals and
// unsymbolized addresses (what the runtime view rewrites), pids whose comm
// or thread name changes or empties in a later window, zero counts.
inline std::vector<Window> churn_windows(unsigned seed, int count) {
  const std::vector<Frame> frames = {
      frame("main"), frame("ma"), frame("main;x"), frame(""), frame("schedule", frame_kind::kernel),
      frame("handle", frame_kind::python, "app.py", 3), frame("handle", frame_kind::python, "app.py", 9),
      [] { Frame f = frame("_PyEval_EvalFrameDefault"); f.module = "libpython3.12.so.1.0"; return f; }(),
      [] { Frame f = frame("python3.11+0x5a22d4"); f.module = "python3.11"; return f; }(),
      [] { Frame f = frame("python3.11+0x1f00"); f.module = "python3.11"; return f; }(),
      [] { Frame f = frame("inl"); f.inlined = true; return f; }()};
  const std::vector<std::string> comms = {"python3", "py", "sh", "", "a;b"};
  std::mt19937 random(seed);
  std::vector<Window> windows;
  for (int n = 0; n < count; ++n) {
    Window w;
    w.start_ns = 1000 + n * 10;
    w.end_ns = w.start_ns + 10;
    std::vector<std::uint32_t> order(frames.size());
    for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), random);
    order.resize(3 + random() % (order.size() - 2));
    for (std::uint32_t f : order) w.frames.push_back(frames[f]);
    for (int i = 0; i < 30; ++i) {
      std::vector<std::uint32_t> stack(random() % 6);
      for (std::uint32_t& f : stack) f = static_cast<std::uint32_t>(random() % w.frames.size());
      w.stacks.push_back(stack);
    }
    for (std::uint32_t pid = 1; pid <= 6; ++pid) {
      if (random() % 3 == 0) continue;  // no process info this window
      ProcessInfo process;
      process.pid = pid;
      process.comm = comms[random() % comms.size()];
      w.processes.push_back(process);
      w.threads.push_back({pid, pid * 10, comms[random() % comms.size()]});
    }
    for (int i = 0; i < 80; ++i) {
      auto pid = static_cast<std::uint32_t>(1 + random() % 7);
      w.samples.push_back({static_cast<std::uint32_t>(random() % w.stacks.size()), pid,
                           static_cast<std::uint32_t>(pid * 10 + random() % 2), random() % 4});
    }
    windows.push_back(std::move(w));
  }
  return windows;
}

}  // namespace ember::test

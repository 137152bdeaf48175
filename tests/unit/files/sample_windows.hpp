// Small hand-built windows shared by the files tests.
#pragma once

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

}  // namespace ember::test

// Windows built by hand for the store tests, with every field set, and a
// form of a Window that does not depend on frame/stack index order.
#pragma once

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "ember/window.hpp"

namespace ember::store::test {

// The tests' clock: a minute, and a start at 2026-11-25T19:05:12Z.
inline constexpr std::int64_t kMinute = 60'000'000'000;
inline constexpr std::int64_t kStart = 1'795'633'512'000'000'000;

inline Frame frame(std::string name, std::string kind, std::string module, std::string file,
                   std::uint32_t line, bool inlined = false) {
  Frame f;
  f.name = std::move(name);
  f.kind = std::move(kind);
  f.module = std::move(module);
  f.file = std::move(file);
  f.line = line;
  f.inlined = inlined;
  return f;
}

inline ProcessInfo process(std::uint32_t pid, std::string comm, std::string service = "") {
  ProcessInfo p;
  p.pid = pid;
  p.comm = comm;
  p.exe = "/usr/bin/" + comm;
  p.cmdline = comm + " --serve \"quoted\" \xff";
  p.container_id = std::string(64, 'c');
  p.cgroup_id = 0xfedcba9876543210ULL;
  p.exit_time_ns = 0;
  p.container_name = comm + "-container";
  p.pod_uid = "0b5c9c6a-1111-2222-3333-444455556666";
  p.pod_name = comm + "-7d4b9c-x2x5q";
  p.service = std::move(service);
  return p;
}

// Two processes, one of them with two threads; every kind of frame.
inline Window full_window(std::int64_t start_ns) {
  Window w;
  w.start_ns = start_ns;
  w.end_ns = start_ns + 60'000'000'000;
  w.frequency_hz = 99;
  w.lost_samples = 17;
  w.host = "build-host-7";
  w.frames = {
      frame("main", frame_kind::native, "app", "main.c", 10),
      frame("handler", frame_kind::python, "app.py", "app.py", 3),
      frame("do_sys_open", frame_kind::kernel, "", "", 0),
      frame("Foo.bar", frame_kind::java, "Foo.class", "Foo.java", 99),
      frame("lambda", frame_kind::node, "index.js", "index.js", 1),
      frame("main.work", frame_kind::go, "server", "work.go", 7),
      frame("[truncated]", frame_kind::unknown, "", "", 0),
      frame("inlined_helper", frame_kind::native, "app", "helper.h", 4, true),
      frame("weird;name\nwith\0nul", frame_kind::native, "lib\xfe.so", "", 0),
  };
  w.frames.back().name = std::string("weird;name\nwith\0nul", 19);
  w.stacks = {{0, 1}, {0, 1, 2}, {6, 3, 4, 5}, {0, 7, 8}, {}};
  w.samples = {
      {0, 100, 100, 5}, {1, 100, 101, 2}, {2, 200, 200, 1}, {3, 200, 200, 1'000'000'000'000ULL},
      {4, 100, 100, 3}, {0, 200, 200, 9},
  };
  w.processes = {process(100, "python3", "BiggestNumbers"), process(200, "java")};
  w.threads = {{100, 100, "python3"}, {100, 101, "worker-1"}, {200, 200, "java"}};
  for (int step = 1; step <= 3; ++step) {
    std::int64_t t = start_ns + step * 1'000'000'000LL;
    w.host_metrics.push_back(HostMetrics{t, 0.25 * step, 16ULL << 30, (8ULL << 30) - step * 4096});
    w.process_metrics.push_back(ProcessMetrics{t, 100, 0.5 + step, 100'000'000ULL + step});
    w.process_metrics.push_back(ProcessMetrics{t, 200, 0.01, ~0ULL - step});
  }
  return w;
}

// (frames of the stack, pid, tid) -> count: equal for equal profiles whatever
// the order of frames and stacks in the Window.
using Profile = std::map<
    std::tuple<
        std::vector<std::tuple<std::string, std::string, std::string, std::uint32_t, std::string, bool>>,
        std::uint32_t, std::uint32_t>,
    std::uint64_t>;

inline Profile profile_of(const Window& w) {
  Profile out;
  for (const StackCount& s : w.samples) {
    std::vector<std::tuple<std::string, std::string, std::string, std::uint32_t, std::string, bool>> fs;
    for (std::uint32_t f : w.stacks.at(s.stack)) {
      const Frame& fr = w.frames.at(f);
      fs.emplace_back(fr.name, fr.module, fr.file, fr.line, fr.kind, fr.inlined);
    }
    out[{fs, s.pid, s.tid}] += s.count;
  }
  return out;
}

}  // namespace ember::store::test

// Three one-minute windows of two processes for the report tests: "api"
// (pid 10, service shop) spends `hot` of its 100 samples in `lookup` (80, 80,
// then 20: the fix was deployed at 19:07) and the rest in `render`; "cron"
// (pid 20) 50 samples in `tick`.
#pragma once

#include "sample_windows.hpp"

namespace ember::test {

constexpr std::int64_t kS = 1'000'000'000;
constexpr std::int64_t kT0 = 1'795'633'500LL * kS;  // 2026-11-25T19:05:00Z

inline Window story_minute(int index, std::uint64_t hot) {
  Window w;
  w.start_ns = kT0 + index * 60 * kS;
  w.end_ns = w.start_ns + 60 * kS;
  w.frequency_hz = 100;
  w.host = "h1";
  w.frames = {frame("main"), frame("lookup", frame_kind::python, "shop.py", 7),
              frame("render", frame_kind::python, "shop.py", 20), frame("tick")};
  w.stacks = {{0, 1}, {0, 2}, {0, 3}};
  w.samples = {{0, 10, 10, hot}, {1, 10, 10, 100 - hot}, {2, 20, 20, 50}};
  w.processes = {{10, "api", "/srv/api", "api", "", 0, 0, "", "", "shop"},
                 {20, "cron", "/usr/sbin/cron", "cron", "", 0, 0, "", "", ""}};
  w.threads = {{10, 10, "api"}, {20, 20, "cron"}};
  return w;
}

inline std::vector<Window> story_windows() {
  return {story_minute(0, 80), story_minute(1, 80), story_minute(2, 20)};
}

}  // namespace ember::test

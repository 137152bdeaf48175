// Coarser metrics for hourly rollups: a chart of a day needs a point every
// few seconds, not 86,400 of them per process. A step's CPU is the mean over
// the steps it covers weighted by their length; memory gauges keep their
// worst reading (the highest RSS, the lowest available memory), so a peak
// shows at any resolution.
#pragma once

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "ember/window.hpp"

namespace ember::store {

inline constexpr std::int64_t kRollupHostStepNs = 10'000'000'000;     // 10 s
inline constexpr std::int64_t kRollupProcessStepNs = 60'000'000'000;  // 60 s

// Adds one window's fine steps (each over the time since the previous step of
// its series, the first since `window_start_ns`) to the coarse steps.
class MetricsDownsampler {
 public:
  explicit MetricsDownsampler(std::int64_t origin_ns) : origin_ns_(origin_ns) {}
  void add(std::int64_t window_start_ns, const std::vector<HostMetrics>& host,
           const std::vector<ProcessMetrics>& processes);
  // Coarse steps stamped with the last fine step's time they cover, ordered
  // by time (then pid).
  void finish(std::vector<HostMetrics>& host, std::vector<ProcessMetrics>& processes) const;

 private:
  struct Step {
    std::int64_t time_ns = 0;
    double busy_ns = 0;  // CPU share x step length
    std::int64_t length_ns = 0;
    std::uint64_t gauge = 0;        // RSS (highest) or available memory (lowest)
    std::uint64_t total_bytes = 0;  // host memory total (last)
    double plain_sum = 0;           // for steps of no length (a clock going back): the plain mean
    std::uint32_t count = 0;
  };
  void add_to(Step& step, std::int64_t time_ns, std::int64_t length_ns, double share) const;

  std::int64_t origin_ns_;
  std::map<std::int64_t, Step> host_;                                 // by step index
  std::map<std::pair<std::int64_t, std::uint32_t>, Step> processes_;  // by (index, pid)
};

}  // namespace ember::store

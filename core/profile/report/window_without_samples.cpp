#include "window_without_samples.hpp"

namespace ember::report {

Window window_without_samples(const Window& window, bool with_stacks) {
  Window out;
  out.start_ns = window.start_ns;
  out.end_ns = window.end_ns;
  out.frequency_hz = window.frequency_hz;
  out.lost_samples = window.lost_samples;
  out.host = window.host;
  out.host_metrics = window.host_metrics;
  out.frames = window.frames;
  out.frame_kinds = window.frame_kinds;
  out.label_sets = window.label_sets;
  if (with_stacks) out.stacks = window.stacks;
  return out;
}

}  // namespace ember::report

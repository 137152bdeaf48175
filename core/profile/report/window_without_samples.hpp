// The part of a window a filter or a cut keeps whole: what a copy starts
// from before it adds the samples it keeps and what they name.
#pragma once

#include "ember/window.hpp"

namespace ember::report {

// `window`'s span, frequency, host, lost samples, host metrics, frames,
// frame kinds and label sets, and with `with_stacks` its stacks (sample
// stack indices stay valid); no samples, processes, threads or process
// metrics.
Window window_without_samples(const Window& window, bool with_stacks);

}  // namespace ember::report

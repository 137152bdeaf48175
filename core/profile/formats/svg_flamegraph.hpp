// An interactive flame graph as one standalone SVG file (no network needed):
// open it in a browser to explore, or share it. An icicle by default: the
// root at the top under the legend and the hover line, so a browser opens on
// the graph however deep the stacks (a 117-frame Python import stack only
// makes the page scroll further down); `flame` puts the root at the bottom.
// One box per function in its call path, width = share of samples; frames colored by
// kind with a legend (Python yellow, native orange, kernel blue, Java green,
// Node purple, Go cyan). In a browser: hovering a box shows its name, samples
// and share; a click zooms into it (click "all" or "Reset zoom" to go back);
// the search box highlights matching functions and shows their total share.
// Boxes narrower than 0.1 px at full view are left out, as flamegraph.pl does.
#pragma once

#include <string>

#include "ember/window.hpp"

namespace ember::formats {

struct SvgOptions {
  std::string title;      // empty: "ember flame graph"
  unsigned width = 1200;  // pixels
  bool flame = false;     // root at the bottom; default: icicle, root at the top
};

std::string svg_flamegraph(const Window& window, const SvgOptions& options = {});

// The script embedded in every flame graph (svg_script.cpp).
extern const char* const kFlameGraphScript;

}  // namespace ember::formats

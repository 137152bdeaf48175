// Collapsed stacks ("folded", the input of flamegraph.pl, inferno, speedscope):
//   python3;main;handler;list_remove;copy_user_generic_[k] 42
// One line per distinct stack, root first, frames joined by ';', then a space
// and the sample count. Lines are sorted, so equal profiles give equal files.
#pragma once

#include <string>
#include <string_view>

#include "ember/window.hpp"

namespace ember::formats {

struct CollapsedOptions {
  // Adds "<thread name>/<tid>" under the process frame, for per-thread views.
  bool thread_frames = false;
  // False: no process frame (profiles read from a format without processes).
  bool process_frames = true;
};

// The first frame of every line is the process' comm, so a whole-system
// profile groups by program; the same stack in several pids of one comm is one
// line. For several windows, collapsed_lines.hpp adds them one by one.
std::string collapsed_text(const Window& window, const CollapsedOptions& options = {});

// A name as a line can hold it: ';' and control characters replaced by '_'
// (they would split the line).
std::string collapsed_name(std::string_view text);

// One frame as it appears in a line: the function name with ';' and control
// characters replaced by '_' (they would split the line), and the suffixes
// flamegraph.pl colors by: "_[k]" for kernel frames, "_[i]" for inlined
// functions (as `stackcollapse-perf.pl --inline` marks them). File and line
// have no place in this format: they are in the speedscope output.
std::string collapsed_frame(const Frame& frame);

}  // namespace ember::formats

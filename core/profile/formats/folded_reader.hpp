// Reading collapsed stacks ("folded", flamegraph.pl's input) back into a
// Window: one line per stack, root first, frames joined by ';', then a space
// and the sample count. Suffixes flamegraph.pl colors by are read back:
// "_[k]" a kernel frame, "_[i]" an inlined one; other frames are native.
// The format has no processes: every sample is pid 0, and the first frame of a
// line (often the program's name) stays a frame.
#pragma once

#include <string_view>

#include "ember/status.hpp"
#include "ember/window.hpp"

namespace ember::formats {

// Blank lines are skipped; a line without a count, or a count that is not a
// whole number, is an error naming the line.
Status read_collapsed(std::string_view text, Window& out);

}  // namespace ember::formats

// Focus and zoom: a window cut down to one part of its flame graph, as a
// flame graph's zoom shows it. Processes, threads and labels are kept for the
// samples that stay.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ember/window.hpp"

namespace ember::report {

// One function: only the samples with a frame of that name in their stack,
// each stack cut to start at the outermost such frame (the function's
// subtree wherever it runs).
Window focus_window(const Window& window, std::string_view function_name);

// One node of the flame graph, by its path of names from the root's child:
// the process name (comm, or "[pid N]" without one), then the frame names
// root first. Only the samples under that node, each stack cut to start at
// the node's frame (a path of the process alone keeps whole stacks).
Window zoom_window(const Window& window, const std::vector<std::string>& path);

}  // namespace ember::report

// Focus on one function: only the samples with a frame of that name in their
// stack, each stack cut to start at the outermost such frame (the function's
// subtree, as a flame graph's zoom shows it). Processes, threads and labels
// are kept for the samples that stay.
#pragma once

#include <string_view>

#include "ember/window.hpp"

namespace ember::report {

Window focus_window(const Window& window, std::string_view function_name);

}  // namespace ember::report

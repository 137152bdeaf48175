// The heap a closed window holds, estimated from what it holds (its vectors'
// elements and the strings beyond the small-string buffer), for the sinks'
// queue budgets (queue_mb) and the memory log line. Not malloc's overhead:
// a bound that holds a window to within a few percent, computed once a window.
#pragma once

#include <cstddef>

#include "ember/window.hpp"

namespace ember {

std::size_t window_bytes(const Window& window);

}  // namespace ember

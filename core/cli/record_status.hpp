// ember record's live status line on a terminal: elapsed time, samples,
// lost samples and processes seen, redrawn about once a second.
#pragma once

#include <functional>

#include "agent/agent.hpp"

namespace ember::cli {

// The progress callback drawing the line when stderr is a terminal; an
// empty function otherwise (nothing extra in a pipe or a log file). The
// line comes down when sampling stops.
std::function<void(const RunProgress&)> terminal_status_line();

}  // namespace ember::cli

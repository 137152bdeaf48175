#pragma once

#include <string>

namespace ember {

// Empty when this process may load BPF and open perf events for every CPU
// (root, or CAP_BPF + CAP_PERFMON); otherwise what is missing and what to do.
std::string missing_privileges();

}  // namespace ember

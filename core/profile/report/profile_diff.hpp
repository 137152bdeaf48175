// `ember report --diff`: how each function's share of the samples moved
// between a baseline range (before) and a second range (after). Shares, not
// sample counts, so ranges of different lengths or load compare fairly.
// Deltas are after - before, in share (0..1): negative = less of the CPU.
#pragma once

#include <vector>

#include "function_stats.hpp"

namespace ember::report {

struct FunctionDelta {
  std::string name;
  std::string kind = frame_kind::unknown;
  std::string file;
  double total_before = 0, total_after = 0;
  double self_before = 0, self_after = 0;

  double total_delta() const { return total_after - total_before; }
  double self_delta() const { return self_after - self_before; }
};

// Every function of either range, the biggest change first: by |total
// delta|, then |self delta|, then name.
std::vector<FunctionDelta> diff_functions(const FunctionTable& before, const FunctionTable& after);

}  // namespace ember::report

// The text tables of `ember report`: top functions and the --diff comparison.
#pragma once

#include <string>

#include "function_stats.hpp"
#include "profile_diff.hpp"

namespace ember::report {

// One header line per entry of `heading`, then the table, at most `limit`
// rows (0: all).
std::string top_table(const FunctionTable& table, const std::string& heading, std::size_t limit);
std::string diff_table(const std::vector<FunctionDelta>& deltas, const std::string& heading,
                       std::size_t limit);

}  // namespace ember::report

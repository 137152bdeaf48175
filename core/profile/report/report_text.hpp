// The text tables of `ember report`: top functions and the --diff comparison.
#pragma once

#include <string>

#include "function_stats.hpp"
#include "profile_diff.hpp"

namespace ember::report {

// One header line per entry of `heading`, then the table, at most `limit`
// rows (0: all), and how many more there are (those cut here and
// `left_out`: cut by whoever computed the rows).
std::string top_table(const FunctionTable& table, const std::string& heading, std::size_t limit);
std::string diff_table(const std::vector<FunctionDelta>& deltas, const std::string& heading,
                       std::size_t limit, std::size_t left_out = 0);

}  // namespace ember::report

// Functions by their samples: the numbers behind `ember report --format top`
// and `--diff`. A function is a name, kind and file (the module when no source
// file is known), so the lines of one Python function count together.
//   self   samples whose innermost frame is the function
//   total  samples with the function anywhere in the stack, once per sample
//          however often it recurses
// Shares are of all the samples of the window (0..1).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ember/window.hpp"

namespace ember::report {

struct FunctionStats {
  std::string name;
  std::string kind = frame_kind::unknown;
  std::string file;
  std::uint64_t self = 0;
  std::uint64_t total = 0;
};

struct FunctionTable {
  std::uint64_t samples = 0;             // of the whole window
  std::vector<FunctionStats> functions;  // by self, then total, descending, then name
  // Functions the table has beyond `functions` (cut by whoever computed it:
  // the fleet server's /api/v1/functions `limit`).
  std::size_t left_out = 0;

  double self_share(const FunctionStats& f) const;
  double total_share(const FunctionStats& f) const;
};

FunctionTable function_table(const Window& window);

// Reorders the table's functions by total, then self, descending, then name.
void sort_by_total(FunctionTable& table);

}  // namespace ember::report

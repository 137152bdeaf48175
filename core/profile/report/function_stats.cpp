#include "function_stats.hpp"

#include <algorithm>
#include <map>
#include <tuple>

namespace ember::report {

double FunctionTable::self_share(const FunctionStats& f) const {
  return samples ? static_cast<double>(f.self) / static_cast<double>(samples) : 0;
}

double FunctionTable::total_share(const FunctionStats& f) const {
  return samples ? static_cast<double>(f.total) / static_cast<double>(samples) : 0;
}

FunctionTable function_table(const Window& window) {
  FunctionTable table;
  // Frame index -> function index, so stacks are walked with lookups only.
  std::map<std::tuple<std::string, std::string, std::string>, std::uint32_t> ids;
  std::vector<std::uint32_t> function_of(window.frames.size());
  for (std::size_t i = 0; i < window.frames.size(); ++i) {
    const Frame& frame = window.frames[i];
    std::string name = frame.name.empty() ? "[unknown]" : frame.name;
    std::string file = frame.file.empty() ? frame.module : frame.file;
    auto [it, inserted] = ids.try_emplace(std::make_tuple(name, frame.kind, file),
                                          static_cast<std::uint32_t>(table.functions.size()));
    if (inserted) table.functions.push_back(FunctionStats{name, frame.kind, file, 0, 0});
    function_of[i] = it->second;
  }

  std::vector<std::uint64_t> seen_in(table.functions.size(), ~0ULL);  // last sample counted
  for (std::size_t s = 0; s < window.samples.size(); ++s) {
    const StackCount& sample = window.samples[s];
    if (sample.stack >= window.stacks.size()) continue;
    const auto& stack = window.stacks[sample.stack];
    table.samples += sample.count;
    for (std::uint32_t frame : stack) {
      if (frame >= function_of.size()) continue;
      std::uint32_t f = function_of[frame];
      if (seen_in[f] == s) continue;  // recursion: once per sample
      seen_in[f] = s;
      table.functions[f].total += sample.count;
    }
    if (!stack.empty() && stack.back() < function_of.size()) {
      table.functions[function_of[stack.back()]].self += sample.count;
    }
  }
  std::erase_if(table.functions, [](const FunctionStats& f) { return f.total == 0; });
  std::sort(table.functions.begin(), table.functions.end(),
            [](const FunctionStats& a, const FunctionStats& b) {
              return std::tie(b.self, b.total, a.name) < std::tie(a.self, a.total, b.name);
            });
  return table;
}

void sort_by_total(FunctionTable& table) {
  std::sort(table.functions.begin(), table.functions.end(),
            [](const FunctionStats& a, const FunctionStats& b) {
              return std::tie(b.total, b.self, a.name) < std::tie(a.total, a.self, b.name);
            });
}

}  // namespace ember::report

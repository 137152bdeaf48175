#include "function_stats.hpp"

#include <algorithm>
#include <string_view>
#include <unordered_map>
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
  using Key = std::tuple<std::string_view, std::string_view, std::string_view>;
  struct KeyHash {
    std::size_t operator()(const Key& k) const {
      std::hash<std::string_view> h;
      return h(std::get<0>(k)) ^ (h(std::get<1>(k)) * 31) ^ (h(std::get<2>(k)) * 961);
    }
  };
  std::unordered_map<Key, std::uint32_t, KeyHash> ids;
  std::vector<std::uint32_t> function_of(window.frames.size());
  for (std::size_t i = 0; i < window.frames.size(); ++i) {
    const Frame& frame = window.frames[i];
    std::string_view name = frame.name.empty() ? std::string_view("[unknown]") : frame.name;
    std::string_view file = frame.file.empty() ? frame.module : frame.file;
    auto [it, inserted] = ids.try_emplace(Key{name, frame.kind, file},
                                          static_cast<std::uint32_t>(table.functions.size()));
    if (inserted) {
      table.functions.push_back(
          FunctionStats{std::string(name), frame.kind, std::string(file), 0, 0});
    }
    function_of[i] = it->second;
  }

  // Samples per stack first: a day holds millions of (stack, thread) rows
  // over far fewer stacks, and a stack counts the same in every thread.
  std::vector<std::uint64_t> per_stack(window.stacks.size(), 0);
  for (const StackCount& sample : window.samples) {
    if (sample.stack < window.stacks.size()) per_stack[sample.stack] += sample.count;
  }
  std::vector<std::uint64_t> seen_in(table.functions.size(), ~0ULL);  // last stack counted
  for (std::size_t s = 0; s < per_stack.size(); ++s) {
    std::uint64_t count = per_stack[s];
    if (count == 0) continue;
    const auto& stack = window.stacks[s];
    table.samples += count;
    for (std::uint32_t frame : stack) {
      if (frame >= function_of.size()) continue;
      std::uint32_t f = function_of[frame];
      if (seen_in[f] == s) continue;  // recursion: once per sample
      seen_in[f] = s;
      table.functions[f].total += count;
    }
    if (!stack.empty() && stack.back() < function_of.size()) {
      table.functions[function_of[stack.back()]].self += count;
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

// libFuzzer target for the perf-map reader: /tmp/perf-<pid>.map is written
// by the profiled process, so any local user controls it. The input is read
// as a map arriving in two pieces (the writer appends while the agent
// reads); whatever it holds, the ranges kept never overlap and each one
// found by address holds that address.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ember/perf_map.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ember::PerfMap map;
  std::size_t split = size ? data[0] % (size + 1) : 0;
  std::size_t used = map.add_lines(text.substr(0, split));
  if (used > split) __builtin_trap();
  used += map.add_lines(text.substr(used));
  if (used > size) __builtin_trap();

  // Probe the starts, ends and middles of what the text names.
  std::uint64_t start = 0, length = 0;
  std::string_view name;
  std::size_t line_start = 0;
  while (line_start < text.size()) {
    std::size_t end = text.find('\n', line_start);
    if (end == std::string_view::npos) break;
    if (ember::parse_perf_map_line(text.substr(line_start, end - line_start), start, length, name)) {
      for (std::uint64_t address : {start, start + length / 2, start + length - 1}) {
        const ember::PerfMapEntry* entry = map.find(address);
        if (entry && (address < entry->start || address >= entry->end || !entry->name)) {
          __builtin_trap();
        }
      }
    }
    line_start = end + 1;
  }
  return 0;
}

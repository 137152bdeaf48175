// libFuzzer target for the Go plugin's pclntab reader: the input is a table
// as a binary would hold it. When it parses, every function is named and a
// spread of pcs is expanded (files, lines, inline trees, which are read
// from the input again, as go.func.* at its own vaddr), all bounds-checked.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "pclntab.hpp"

namespace {

constexpr std::uint64_t kTableVaddr = 0x500000;
constexpr std::uint64_t kGofuncVaddr = 0x600000;
constexpr std::size_t kMaxPcs = 512;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> input(data, size);
  ember::go::Pclntab table;
  if (!ember::go::Pclntab::parse(input, kTableVaddr, table)) return 0;
  table.set_inline_data(
      [input](std::uint64_t vaddr, std::uint64_t n) -> std::span<const std::uint8_t> {
        if (vaddr < kGofuncVaddr || vaddr - kGofuncVaddr > input.size() ||
            input.size() - (vaddr - kGofuncVaddr) < n) {
          return {};
        }
        return input.subspan(vaddr - kGofuncVaddr, n);
      },
      kGofuncVaddr);

  std::vector<ember::go::GoFrame> frames;
  std::size_t functions = table.function_count();
  std::size_t step = functions / kMaxPcs + 1;
  volatile std::size_t sink = 0;
  for (std::size_t i = 0; i < functions; i += step) {
    sink = sink + table.function_name(i).size();
    std::uint64_t entry = table.function_entry(i);
    std::uint64_t end = table.function_entry(i + 1);
    for (std::uint64_t pc : {entry, entry + (end - entry) / 2, end ? end - 1 : 0}) {
      frames.clear();
      if (!table.frames(pc, frames)) continue;
      for (const ember::go::GoFrame& f : frames) sink = sink + f.function.size() + f.file.size();
      sink = sink + static_cast<std::size_t>(table.sp_delta(pc).value_or(0));
    }
  }
  return 0;
}

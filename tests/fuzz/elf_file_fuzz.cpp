// libFuzzer target for the SDK's ELF reader: every binary a profiled process
// maps is opened by the root agent, so a local user can hand it any bytes.
// A damaged file must be an error or a file with less in it, never a crash
// or a read outside the image.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "ember/elf_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<unsigned char> image(data, data + size);
  ember::ElfFile file;
  if (!ember::ElfFile::open_memory(image, "fuzz", file)) return 0;
  (void)file.build_id();
  for (const ember::ElfLoadSegment& segment : file.load_segments()) {
    (void)file.load_bias(0x7f0000000000, segment.offset);
  }
  // Sorted without duplicates, each found by its own address.
  std::size_t count = file.function_count();
  for (std::size_t i = 0; i < count && i < 4096; ++i) {
    ember::ElfSymbol symbol = file.function(i);
    if (i > 0 && file.function(i - 1).address > symbol.address) __builtin_trap();
    if (symbol.size > 0 && !file.find_function(symbol.address)) __builtin_trap();
    (void)file.find_symbol(symbol.name);
  }
  return 0;
}

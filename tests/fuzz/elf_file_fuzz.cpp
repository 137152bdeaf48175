// libFuzzer target for the SDK's ELF reader: every binary a profiled process
// maps is opened by the root agent, so a local user can hand it any bytes.
// A damaged file must be an error or a file with less in it, never a crash
// or a read outside the image.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "ember/elf_file.hpp"
#include "ember/elf_function_table.hpp"

namespace {

// The same bytes as a file: the function table reads its names from it.
ember::ElfFunctionTable table_of(const std::uint8_t* data, std::size_t size) {
  ember::ElfFunctionTable table;
  int fd = memfd_create("fuzz", MFD_CLOEXEC);
  if (fd < 0) return table;
  if (write(fd, data, size) == static_cast<ssize_t>(size)) {
    (void)ember::ElfFunctionTable::open_fd(fd, "fuzz", table);
  }
  close(fd);
  return table;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ember::ElfFunctionTable table = table_of(data, size);
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
  // The table names the same functions (those within 4 GiB of the first).
  if (table.function_count() > count) __builtin_trap();
  for (std::size_t i = 0; i < table.function_count() && i < 4096; ++i) {
    ember::ElfSymbol expected = file.function(i);
    if (table.function(i).address != expected.address) __builtin_trap();
    if (table.find_function_index(expected.address) != file.find_function_index(expected.address)) {
      __builtin_trap();
    }
    if (table.name(i) != expected.name) __builtin_trap();
  }
  return 0;
}

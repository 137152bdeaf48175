// libFuzzer target for DWARF line programs: the input is a .debug_line
// section (and, for DWARF 5's string forms, its own .debug_line_str and
// .debug_str), as a profiled process's objects or their debug files hand it
// to the native plugin. Every unit in it is read, and addresses taken from
// the input are looked up: a malformed program must be refused or answered,
// never crash, hang or read outside the section. Seeds: the .debug_line of
// inlined_hot.c built by gcc (DWARF 2, 4, 5) and clang (DWARF 5).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "line_table.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ember::native;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  LineSections sections{bytes, bytes, bytes};
  // Each unit at the offset its predecessor's length says, as .debug_info's
  // DW_AT_stmt_list would name them; a few at most.
  std::uint64_t offset = 0;
  for (int unit = 0; unit < 8 && offset < size; ++unit) {
    std::string why;
    auto table = LineTable::read(sections, offset, why);
    if (table) {
      for (std::size_t i = 0; i + 8 <= size && i < 64 * 8; i += 8) {
        std::uint64_t vaddr = 0;
        std::memcpy(&vaddr, data + i, 8);
        LineTable::Row row;
        if (table->find(vaddr, row)) (void)table->file_name(row.file);
        if (table->find(vaddr & 0xffffff, row)) (void)table->file_name(row.file);
      }
      (void)table->memory();
    } else if (why.empty()) {
      __builtin_trap();  // a refusal says why
    }
    if (size - offset < 4) break;
    std::uint32_t length = 0;
    std::memcpy(&length, data + offset, 4);
    offset += std::uint64_t{length} + 4;
  }
  return 0;
}

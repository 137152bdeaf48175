// libFuzzer target for the CPython plugin's object readers over a process
// whose memory is the fuzzer's input (every address reads the input's
// bytes, wrapping): code objects, str and bytes objects and the line tables
// of every supported version, all arbitrary, as a profiled process that
// scribbles on its own objects would leave them. Nothing may crash, hang or
// read out of bounds; a code object read has a line table that answers.
#include <cstddef>
#include <cstdint>
#include <span>

#include "code_reader.hpp"

namespace {

std::uint64_t word(std::span<const std::uint8_t> bytes, std::size_t at) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < 8; ++i) value |= std::uint64_t{bytes[(at + i) % bytes.size()]} << (8 * i);
  return value;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 16) return 0;
  std::span<const std::uint8_t> bytes(data, size);
  auto read = [bytes](std::uint64_t address, void* buffer, std::size_t length) {
    if (length > (1u << 20)) return false;
    auto* out = static_cast<std::uint8_t*>(buffer);
    for (std::size_t i = 0; i < length; ++i) out[i] = bytes[(address + i) % bytes.size()];
    return true;
  };
  // The first byte picks the version, the next words the addresses asked for.
  const std::size_t versions = sizeof(cpython_offsets_table) / sizeof(cpython_offsets_table[0]);
  const cpython_offsets& offsets = cpython_offsets_table[data[0] % versions];
  ember::cpython::CodeReader reader(offsets, read);
  std::uint64_t code = word(bytes, 1) % size;
  if (auto info = reader.read_code(code)) {
    for (std::uint64_t position : {word(bytes, 9), std::uint64_t{0}, std::uint64_t{2}}) {
      (void)info->lines.line_at(reader.table_offset(position));
    }
  }
  (void)reader.read_str(word(bytes, 3) % size);
  (void)reader.read_bytes(word(bytes, 5) % size);
  return 0;
}

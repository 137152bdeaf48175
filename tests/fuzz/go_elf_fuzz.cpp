// libFuzzer target for the Go plugin's detector: the input is an ELF file.
// Headers, segments and sections are read bounds-checked; when a pclntab is
// found (by section or by scan), a spread of its pcs is named, inline trees
// read from the file.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "detect.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ember::go::ElfView file;
  if (!ember::go::ElfView::from_memory(std::span<const std::uint8_t>(data, size), file)) return 0;
  ember::go::GoBinary go;
  if (!ember::go::detect(std::move(file), go) || !go.is_go) return 0;
  std::vector<ember::go::GoFrame> frames;
  volatile std::size_t sink = 0;
  std::size_t functions = go.table.function_count();
  for (std::size_t i = 0; i < functions; i += functions / 64 + 1) {
    frames.clear();
    go.table.frames(go.table.function_entry(i), frames);
    sink = sink + frames.size();
  }
  return 0;
}

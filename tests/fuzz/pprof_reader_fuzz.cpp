// libFuzzer target for the pprof reader (`Profile.from_pprof`, and what the
// fleet server will accept): the input is a file as a user would hand it over,
// gzip-compressed or not. A damaged file must be an error, never a crash; a
// file that reads must give a window whose indices all hold.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pprof_reader.hpp"
#include "window_indices.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ember::Window window;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (!ember::formats::read_pprof(bytes, window)) return 0;
  trap_unless_indices_hold(window);
  return 0;
}

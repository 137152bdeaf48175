// libFuzzer target for the collapsed-stacks reader (`ember report` and the
// Python API read folded files users hand over). A damaged file must be an
// error naming its line, never a crash; a file that reads must give a window
// whose indices all hold.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "folded_reader.hpp"
#include "window_indices.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ember::Window window;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ember::Status status = ember::formats::read_collapsed(text, window);
  if (!status) {
    if (status.message().empty()) __builtin_trap();
    return 0;
  }
  trap_unless_indices_hold(window);
  return 0;
}

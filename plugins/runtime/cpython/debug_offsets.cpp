#include "debug_offsets.hpp"

#include <array>
#include <cstdio>
#include <cstring>
#include <vector>

namespace ember::cpython {
namespace {

std::uint64_t load_u64(const std::vector<std::byte>& bytes, std::uint32_t offset) {
  std::uint64_t value = 0;
  std::memcpy(&value, bytes.data() + offset, sizeof value);  // x86_64/arm64: little endian
  return value;
}

std::string hex(std::uint64_t value) {
  char text[32];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

}  // namespace

const cpython_debug_offsets_layout* find_debug_layout(unsigned major, unsigned minor) {
  for (const cpython_debug_offsets_layout& layout : cpython_debug_offsets_table) {
    if (layout.major == major && layout.minor == minor) return &layout;
  }
  return nullptr;
}

Status read_debug_offsets(const Image& image, std::uint64_t runtime_vaddr,
                          const cpython_offsets& table, DebugOffsets& out) {
  const cpython_debug_offsets_layout* layout = find_debug_layout(table.major, table.minor);
  if (!layout) {
    return Status::error("no _Py_DebugOffsets layout known for CPython " +
                         std::to_string(table.major) + "." + std::to_string(table.minor));
  }
  std::vector<std::byte> bytes(layout->size);
  if (Status s = image.read(runtime_vaddr + layout->runtime_offset, bytes); !s) {
    return Status::error("reading _Py_DebugOffsets: " + s.message());
  }
  static constexpr std::array<char, 8> cookie = {'x', 'd', 'e', 'b', 'u', 'g', 'p', 'y'};
  if (std::memcmp(bytes.data() + layout->cookie, cookie.data(), cookie.size()) != 0) {
    return Status::error(image.name() + ": _PyRuntime does not start with the \"xdebugpy\" cookie");
  }
  out.version = load_u64(bytes, layout->version);
  unsigned major = static_cast<unsigned>(out.version >> 24) & 0xff;
  unsigned minor = static_cast<unsigned>(out.version >> 16) & 0xff;
  if (major != table.major || minor != table.minor) {
    return Status::error(image.name() + ": _Py_DebugOffsets.version " + hex(out.version) +
                         " is not CPython " + std::to_string(table.major) + "." +
                         std::to_string(table.minor));
  }
  out.free_threaded = load_u64(bytes, layout->free_threaded) != 0;
  out.offsets = table;
  std::string bad;
#define EMBER_CPYTHON_READ_FIELD(field)                   \
  {                                                       \
    std::uint64_t value = load_u64(bytes, layout->field); \
    if (value >= CPYTHON_OFFSET_NONE) bad = #field;       \
    out.offsets.field = static_cast<__u32>(value);        \
  }
  CPYTHON_DEBUG_OFFSETS_MIRRORED(EMBER_CPYTHON_READ_FIELD)
#undef EMBER_CPYTHON_READ_FIELD
  if (!bad.empty()) {
    return Status::error(image.name() + ": _Py_DebugOffsets." + bad + " is out of range");
  }
  return Status::ok();
}

}  // namespace ember::cpython

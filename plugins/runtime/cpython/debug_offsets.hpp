// CPython 3.13+ describes its own layout: _PyRuntime starts with
// _Py_DebugOffsets (cookie "xdebugpy", PY_VERSION_HEX, then u64 offsets of
// the runtime, interpreter, thread, frame, code and object fields). The
// layout of that struct is itself stable only within a minor version, so it
// is read through the generated cpython_debug_offsets_table entry for the
// minor version its own `version` field names.
#pragma once

#include <cstdint>

#include "image.hpp"
#include "offsets/cpython_offsets.h"

namespace ember::cpython {

struct DebugOffsets {
  std::uint64_t version = 0;  // PY_VERSION_HEX
  bool free_threaded = false;
  // The table entry with every mirrored field replaced by the binary's own value.
  cpython_offsets offsets{};
};

// The debug-offsets layout for major.minor, nullptr when none is known.
const cpython_debug_offsets_layout* find_debug_layout(unsigned major, unsigned minor);

// Reads _Py_DebugOffsets from the file bytes of _PyRuntime at link-time
// `runtime_vaddr`. `table` supplies the fields the debug offsets do not carry.
// An error when the cookie is missing, the version has no known layout or
// disagrees with `table`, or a value is out of range.
Status read_debug_offsets(const Image& image, std::uint64_t runtime_vaddr,
                          const cpython_offsets& table, DebugOffsets& out);

}  // namespace ember::cpython

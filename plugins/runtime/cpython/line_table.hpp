// Line numbers of CPython code objects from their line tables.
//
// 3.11+ stores co_linetable as a location table (CPython's
// Objects/locations.md): a sequence of entries, each covering 1-8 code units
// (2-byte instructions with their caches). An entry starts with a byte with
// bit 7 set; bits 3-6 are its code, bits 0-2 its length - 1 in code units:
//   0-9   short form: same line as before, one byte of column data follows
//   10-12 one-line form: line delta = code - 10, two column bytes follow
//   13    no columns: signed varint line delta
//   14    long form: signed varint line delta, varint end-line delta,
//         varint start column + 1, varint end column + 1
//   15    no location (line -1)
// A varint is 6-bit chunks, least significant first, 0x40 = more follow; a
// signed varint keeps the sign in bit 0.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace ember::cpython {

struct LineRange {
  std::uint32_t start = 0;  // first code unit
  std::uint32_t end = 0;    // one past the last code unit
  std::int32_t line = -1;   // -1: no line (artificial instructions)
};

class LocationTable {
 public:
  // Decodes a 3.11+ co_linetable. A table cut off in the middle of an entry
  // keeps the entries before it.
  static LocationTable decode(std::span<const std::uint8_t> table, std::int32_t first_line);

  // The line of code unit `index`; -1 when it has none or is out of range.
  std::int32_t line_at(std::int64_t index) const;

  const std::vector<LineRange>& ranges() const { return ranges_; }

 private:
  std::vector<LineRange> ranges_;
};

}  // namespace ember::cpython

// Line numbers of CPython code objects from their line tables, one decoder
// per format. Each turns the table into ranges of "table units" with a line:
//
// co_lnotab (<= 3.9), units are bytecode bytes: (address delta, line delta)
//   byte pairs from co_firstlineno; the line delta is signed from 3.6,
//   unsigned in 2.7. PyCode_Addr2Line(co, f_lasti).
// co_linetable (3.10), units are bytecode bytes (f_lasti * 2): (address
//   delta, signed line delta) pairs, each a range [end, end + delta) of the
//   running line; line delta -128 = no line.
// co_linetable (3.11+), units are 2-byte code units: a location table
//   (CPython's Objects/locations.md), a sequence of entries, each covering
//   1-8 code units. An entry starts with a byte with bit 7 set; bits 3-6 are
//   its code, bits 0-2 its length - 1 in code units:
//     0-9   short form: same line as before, one byte of column data follows
//     10-12 one-line form: line delta = code - 10, two column bytes follow
//     13    no columns: signed varint line delta
//     14    long form: signed varint line delta, varint end-line delta,
//           varint start column + 1, varint end column + 1
//     15    no location (line -1)
//   A varint is 6-bit chunks, least significant first, 0x40 = more follow; a
//   signed varint keeps the sign in bit 0.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace ember::cpython {

struct LineRange {
  std::uint32_t start = 0;  // first unit
  std::uint32_t end = 0;    // one past the last unit
  std::int32_t line = -1;   // -1: no line (artificial instructions)
};

class LineTable {
 public:
  // A 3.11+ co_linetable. A table cut off in the middle of an entry keeps
  // the entries before it.
  static LineTable decode_locations(std::span<const std::uint8_t> table, std::int32_t first_line);
  // A 3.10 co_linetable. A trailing odd byte is ignored.
  static LineTable decode_linetable_310(std::span<const std::uint8_t> table,
                                        std::int32_t first_line);
  // A co_lnotab (2.7: unsigned line deltas). The last line extends to the
  // end of the code.
  static LineTable decode_lnotab(std::span<const std::uint8_t> table, std::int32_t first_line,
                                 bool signed_line_deltas);

  // The line of unit `index`; -1 when it has none or is out of range.
  std::int32_t line_at(std::int64_t index) const;

  const std::vector<LineRange>& ranges() const { return ranges_; }

 private:
  // Appends `range`, or extends the last range when it goes on the same
  // line: a 3.11+ table has an entry per few instructions, most of them
  // "same line as before", and every code object a process ran keeps its
  // table (kept exact-size once decoded).
  void add(const LineRange& range);

  std::vector<LineRange> ranges_;
};

}  // namespace ember::cpython

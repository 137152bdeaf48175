// A Java method's line number table, as HotSpot keeps it compressed after
// the method's bytecodes in its ConstMethod (when its flags say it has one):
// (bci, line) pairs as deltas from the previous pair, one byte
// (bci_delta << 3 | line_delta) when they fit in 5 and 3 bits and the byte
// is not 0xff, else 0xff followed by both deltas as zig-zag signed UNSIGNED5
// numbers (bytes below 192 end a number; JDK 17's encoding, no excluded
// byte); a 0 byte ends the table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace ember::jvm {

struct LineEntry {
  std::uint32_t bci = 0;
  std::uint32_t line = 0;
};

// The table's entries in order; `complete` false when the bytes end before
// the terminator (read more and decode again).
std::vector<LineEntry> decode_line_table(std::span<const unsigned char> bytes, bool& complete);

// The line of `bci`: that of the last entry at or before it, 0 when none.
std::uint32_t line_of(const std::vector<LineEntry>& table, std::uint32_t bci);

}  // namespace ember::jvm

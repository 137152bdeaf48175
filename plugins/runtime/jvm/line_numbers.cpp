#include "line_numbers.hpp"

#include "compressed_stream.hpp"

namespace ember::jvm {

std::vector<LineEntry> decode_line_table(std::span<const unsigned char> bytes, bool& complete) {
  std::vector<LineEntry> table;
  complete = false;
  std::size_t at = 0;
  std::int64_t bci = 0, line = 0;
  while (at < bytes.size()) {
    unsigned char b = bytes[at++];
    if (b == 0) {
      complete = true;
      break;
    }
    if (b != 0xff) {
      bci += b >> 3;
      line += b & 7;
    } else {
      std::int32_t bci_delta = 0, line_delta = 0;
      if (!read_signed5(bytes, at, bci_delta) || !read_signed5(bytes, at, line_delta)) break;
      bci += bci_delta;
      line += line_delta;
    }
    if (bci < 0 || line < 0 || bci > 0xffff || line > 0xffffff) break;  // not a line table
    table.push_back(LineEntry{static_cast<std::uint32_t>(bci), static_cast<std::uint32_t>(line)});
  }
  return table;
}

std::uint32_t line_of(const std::vector<LineEntry>& table, std::uint32_t bci) {
  // As HotSpot does: an entry at the bci, else the closest one before it
  // (a method may list bcis out of order: loops, finally blocks).
  std::uint32_t best_bci = 0, line = 0;
  for (const LineEntry& entry : table) {
    if (entry.bci == bci) return entry.line;
    if (entry.bci < bci && entry.bci >= best_bci) {
      best_bci = entry.bci;
      line = entry.line;
    }
  }
  return line;
}

}  // namespace ember::jvm

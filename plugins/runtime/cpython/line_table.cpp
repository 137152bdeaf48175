#include "line_table.hpp"

#include <algorithm>

namespace ember::cpython {
namespace {

class Cursor {
 public:
  explicit Cursor(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  bool done() const { return pos_ >= bytes_.size(); }
  bool ok() const { return ok_; }

  std::uint8_t byte() {
    if (pos_ >= bytes_.size()) {
      ok_ = false;
      return 0;
    }
    return bytes_[pos_++];
  }

  std::uint32_t varint() {
    std::uint32_t value = 0;
    unsigned shift = 0;
    for (;;) {
      std::uint8_t b = byte();
      if (!ok_) return 0;
      if (shift < 32) value |= static_cast<std::uint32_t>(b & 0x3f) << shift;
      shift += 6;
      if (!(b & 0x40)) return value;
    }
  }

  std::int32_t svarint() {
    std::uint32_t value = varint();
    std::int32_t magnitude = static_cast<std::int32_t>(value >> 1);
    return (value & 1) ? -magnitude : magnitude;
  }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

// Lines are summed in 64 bits: a corrupt table's deltas may run past what
// an int32 holds (its lines are then -1, "no line"), never overflow.
std::int32_t as_line(std::int64_t line) {
  return line >= INT32_MIN && line <= INT32_MAX ? static_cast<std::int32_t>(line) : -1;
}

}  // namespace

LineTable LineTable::decode_locations(std::span<const std::uint8_t> table,
                                      std::int32_t first_line) {
  LineTable out;
  Cursor cursor(table);
  std::int64_t line = first_line;
  std::uint32_t unit = 0;
  while (!cursor.done()) {
    std::uint8_t head = cursor.byte();
    if (!(head & 0x80)) break;  // not at an entry start: corrupt
    unsigned code = (head >> 3) & 0x0f;
    std::uint32_t length = (head & 0x07) + 1u;
    std::int32_t entry_line = -1;
    if (code <= 9) {
      cursor.byte();
      entry_line = as_line(line);
    } else if (code <= 12) {
      line += static_cast<std::int32_t>(code) - 10;
      cursor.byte();
      cursor.byte();
      entry_line = as_line(line);
    } else if (code == 13) {
      line += cursor.svarint();
      entry_line = as_line(line);
    } else if (code == 14) {
      line += cursor.svarint();
      cursor.varint();
      cursor.varint();
      cursor.varint();
      entry_line = as_line(line);
    }
    if (!cursor.ok()) break;
    out.add(LineRange{unit, unit + length, entry_line});
    unit += length;
  }
  out.ranges_.shrink_to_fit();
  return out;
}

LineTable LineTable::decode_linetable_310(std::span<const std::uint8_t> table,
                                          std::int32_t first_line) {
  LineTable out;
  std::int64_t line = first_line;
  std::uint32_t end = 0;
  for (std::size_t i = 0; i + 1 < table.size(); i += 2) {
    std::uint32_t start = end;
    end += table[i];
    auto delta = static_cast<std::int8_t>(table[i + 1]);
    std::int32_t entry_line = -1;
    if (delta != -128) {
      line += delta;
      entry_line = as_line(line);
    }
    // Empty ranges only move the line (CPython skips them when looking up).
    if (end > start) out.add(LineRange{start, end, entry_line});
  }
  out.ranges_.shrink_to_fit();
  return out;
}

LineTable LineTable::decode_lnotab(std::span<const std::uint8_t> table, std::int32_t first_line,
                                   bool signed_line_deltas) {
  LineTable out;
  std::int64_t line = first_line;
  std::uint32_t address = 0;
  for (std::size_t i = 0; i + 1 < table.size(); i += 2) {
    std::uint32_t delta = table[i];
    if (delta > 0) {
      out.add(LineRange{address, address + delta, as_line(line)});
      address += delta;
    }
    line += signed_line_deltas ? static_cast<std::int8_t>(table[i + 1]) : table[i + 1];
  }
  out.add(LineRange{address, UINT32_MAX, as_line(line)});
  out.ranges_.shrink_to_fit();
  return out;
}

void LineTable::add(const LineRange& range) {
  if (!ranges_.empty() && ranges_.back().end == range.start && ranges_.back().line == range.line) {
    ranges_.back().end = range.end;
    return;
  }
  ranges_.push_back(range);
}

std::int32_t LineTable::line_at(std::int64_t index) const {
  if (index < 0) return -1;
  auto it = std::upper_bound(
      ranges_.begin(), ranges_.end(), static_cast<std::uint64_t>(index),
      [](std::uint64_t value, const LineRange& range) { return value < range.end; });
  if (it == ranges_.end() || static_cast<std::uint64_t>(index) < it->start) return -1;
  return it->line;
}

}  // namespace ember::cpython

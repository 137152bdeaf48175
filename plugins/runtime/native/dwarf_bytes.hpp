// Reading DWARF's encodings from a section held in memory: little-endian
// fixed-size values, LEB128s, strings. A read past the end fails the reader
// (every later read too) instead of reading on, so a malformed section
// costs a wrong answer at worst, never a crash.
#pragma once

#include <cstdint>
#include <string_view>

namespace ember::native {

// Little-endian reads from a byte range; a read past its end fails the
// reader instead of reading on.
class DwarfBytes {
 public:
  DwarfBytes(std::string_view bytes, std::uint64_t at) : bytes_(bytes), at_(at) {
    if (at > bytes.size()) ok_ = false;
  }

  bool ok() const { return ok_; }
  std::uint64_t at() const { return at_; }
  bool at_end(std::uint64_t end) const { return !ok_ || at_ >= end; }
  void seek(std::uint64_t at) {
    if (at > bytes_.size())
      ok_ = false;
    else
      at_ = at;
  }

  std::uint64_t fixed(unsigned size) {
    if (!ok_ || size > 8 || bytes_.size() - at_ < size) {
      ok_ = false;
      return 0;
    }
    std::uint64_t value = 0;
    for (unsigned i = 0; i < size; ++i) {
      value |= std::uint64_t{static_cast<unsigned char>(bytes_[at_ + i])} << (8 * i);
    }
    at_ += size;
    return value;
  }
  std::uint8_t u8() { return static_cast<std::uint8_t>(fixed(1)); }
  std::uint16_t u16() { return static_cast<std::uint16_t>(fixed(2)); }

  std::uint64_t uleb() {
    std::uint64_t value = 0;
    for (unsigned shift = 0;; shift += 7) {
      std::uint8_t byte = u8();
      if (!ok_) return 0;
      if (shift < 64) value |= std::uint64_t{byte & 0x7fu} << shift;
      if (!(byte & 0x80)) return value;
    }
  }
  std::int64_t sleb() {
    std::int64_t value = 0;
    unsigned shift = 0;
    std::uint8_t byte = 0;
    do {
      byte = u8();
      if (!ok_) return 0;
      if (shift < 64) value |= static_cast<std::int64_t>(std::uint64_t{byte & 0x7fu} << shift);
      shift += 7;
    } while (byte & 0x80);
    if (shift < 64 && (byte & 0x40)) value |= static_cast<std::int64_t>(~std::uint64_t{0} << shift);
    return value;
  }
  std::string_view cstr() {
    if (!ok_) return {};
    std::size_t end = bytes_.find('\0', at_);
    if (end == std::string_view::npos) {
      ok_ = false;
      return {};
    }
    std::string_view text = bytes_.substr(at_, end - at_);
    at_ = end + 1;
    return text;
  }
  // A unit's initial length: 32-bit, or 0xffffffff and 64-bit (the 64-bit
  // DWARF format, whose offsets are 8 bytes). False at the reserved values.
  bool initial_length(std::uint64_t& length, unsigned& offset_size) {
    offset_size = 4;
    length = fixed(4);
    if (length == 0xffffffffu) {
      offset_size = 8;
      length = fixed(8);
    } else if (length >= 0xfffffff0u) {
      ok_ = false;
    }
    return ok_;
  }
  void fail() { ok_ = false; }
  void skip(std::uint64_t size) {
    if (!ok_ || bytes_.size() - at_ < size)
      ok_ = false;
    else
      at_ += size;
  }

 private:
  std::string_view bytes_;
  std::uint64_t at_;
  bool ok_ = true;
};

// The string at `offset` of a string section; empty when out of range.
inline std::string_view string_at(std::string_view section, std::uint64_t offset) {
  if (offset >= section.size()) return {};
  std::size_t end = section.find('\0', offset);
  if (end == std::string_view::npos) return {};
  return section.substr(offset, end - offset);
}

}  // namespace ember::native

// Reads the fields of .eh_frame entries (CIEs, FDEs, CFA instructions):
// fixed-size little-endian words, LEB128 numbers and DW_EH_PE-encoded
// pointers, within [pos, end) of a span. A read past the end or a malformed
// number makes ok() false and every later read 0.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>

namespace ember::native {

// DW_EH_PE_* pointer encodings.
constexpr std::uint8_t kEhPePcrel = 0x10;

class EhFrameReader {
 public:
  EhFrameReader(std::span<const std::uint8_t> data, std::size_t pos, std::size_t end)
      : data_(data), pos_(pos), end_(end) {}

  bool ok() const { return ok_; }
  std::size_t pos() const { return pos_; }
  bool at_end() const { return pos_ >= end_; }

  std::uint64_t fixed(std::size_t size) {
    if (!ok_ || end_ - pos_ < size || pos_ > end_) return fail();
    std::uint64_t value = 0;
    std::memcpy(&value, data_.data() + pos_, size);  // little endian host and target
    pos_ += size;
    return value;
  }
  std::int64_t signed_fixed(std::size_t size) {
    std::uint64_t value = fixed(size);
    unsigned shift = static_cast<unsigned>(64 - 8 * size);
    return shift ? static_cast<std::int64_t>(value << shift) >> shift
                 : static_cast<std::int64_t>(value);
  }
  std::uint64_t uleb() {
    std::uint64_t value = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
      std::uint64_t byte = fixed(1);
      if (!ok_) return 0;
      value |= (byte & 0x7f) << shift;
      if (!(byte & 0x80)) return value;
    }
    return fail();
  }
  std::int64_t sleb() {
    std::int64_t value = 0;
    unsigned shift = 0;
    std::uint64_t byte = 0;
    do {
      byte = fixed(1);
      if (!ok_ || shift >= 64) return static_cast<std::int64_t>(fail());
      value |= static_cast<std::int64_t>(byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80);
    if (shift < 64 && (byte & 0x40)) value |= -(std::int64_t{1} << shift);
    return value;
  }
  void skip(std::uint64_t size) {
    if (!ok_ || size > end_ - pos_) {
      fail();
      return;
    }
    pos_ += size;
  }
  // A DW_EH_PE-encoded pointer; `field_vaddr` is where it sits (for pcrel).
  std::uint64_t pointer(std::uint8_t encoding, std::uint64_t field_vaddr) {
    std::uint64_t value = 0;
    switch (encoding & 0x0f) {
      case 0x00:
        value = fixed(8);
        break;
      case 0x01:
        value = uleb();
        break;
      case 0x02:
        value = fixed(2);
        break;
      case 0x03:
        value = fixed(4);
        break;
      case 0x04:
        value = fixed(8);
        break;
      case 0x09:
        value = static_cast<std::uint64_t>(sleb());
        break;
      case 0x0a:
        value = static_cast<std::uint64_t>(signed_fixed(2));
        break;
      case 0x0b:
        value = static_cast<std::uint64_t>(signed_fixed(4));
        break;
      case 0x0c:
        value = fixed(8);
        break;
      default:
        return fail();
    }
    if ((encoding & 0x70) == kEhPePcrel) value += field_vaddr;
    return value;
  }
  std::uint64_t fail() {
    ok_ = false;
    return 0;
  }

 private:
  std::span<const std::uint8_t> data_;
  std::size_t pos_;
  std::size_t end_;
  bool ok_ = true;
};

// A CIE's fields before its initial instructions, read from just after its
// id; `in` is left at those instructions. Of the 'z' augmentation data: the
// FDEs' pointer encoding, and whether 'S' marks the CIE's frames as signal
// frames; letters not known here (other than 'B' and 'G', which carry no
// data) end the reading of it, and its length skips the rest.
struct CieHeader {
  std::uint64_t version = 0;
  std::string augmentation;
  std::uint64_t code_align = 0;
  std::int64_t data_align = 0;
  std::uint64_t return_register = 0;
  std::uint8_t fde_encoding = 0;  // absptr
  bool has_augmentation_data = false;
  bool signal_frame = false;
  bool unknown_augmentation = false;
};

inline bool read_cie_header(EhFrameReader& in, CieHeader& cie) {
  cie.version = in.fixed(1);
  for (std::uint64_t c = in.fixed(1); in.ok() && c != 0; c = in.fixed(1)) {
    cie.augmentation.push_back(static_cast<char>(c));
  }
  cie.code_align = in.uleb();
  cie.data_align = in.sleb();
  cie.return_register = cie.version == 1 ? in.fixed(1) : in.uleb();
  if (cie.augmentation.empty() || cie.augmentation[0] != 'z') return in.ok();
  cie.has_augmentation_data = true;
  const std::uint64_t length = in.uleb();
  const std::size_t data_end = in.pos() + length;
  for (char c : cie.augmentation.substr(1)) {
    if (c == 'R') {
      cie.fde_encoding = static_cast<std::uint8_t>(in.fixed(1));
    } else if (c == 'P') {
      auto encoding = static_cast<std::uint8_t>(in.fixed(1));
      in.pointer(encoding & 0x7f, 0);
    } else if (c == 'L') {
      in.fixed(1);
    } else if (c == 'S') {
      cie.signal_frame = true;
    } else if (c != 'B' && c != 'G') {
      cie.unknown_augmentation = true;
      break;
    }
  }
  if (!in.ok() || in.pos() > data_end) return false;
  in.skip(data_end - in.pos());
  return in.ok();
}

}  // namespace ember::native

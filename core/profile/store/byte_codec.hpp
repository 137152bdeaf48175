// Compact byte encodings of the store's blobs: LEB128 varints, zigzag for
// signed deltas, a stable 64-bit hash for deduplication keys, and deflate.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ember::store {

// A blob that does not decode: the store file is damaged.
class CorruptBlob : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Deltas wrap (two's complement, as unsigned arithmetic does): any pair of
// values round-trips, and a damaged blob decodes to a wrong value, never to
// a signed overflow.
inline std::int64_t wrapping_add(std::int64_t a, std::int64_t b) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
}
inline std::int64_t wrapping_sub(std::int64_t a, std::int64_t b) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) - static_cast<std::uint64_t>(b));
}

class ByteWriter {
 public:
  void varint(std::uint64_t value);
  void svarint(std::int64_t value) {  // zigzag: small magnitudes stay small
    varint((static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63));
  }
  // `value` as a delta from `previous` (ByteReader::delta_from reads it).
  void delta(std::int64_t value, std::int64_t previous) { svarint(wrapping_sub(value, previous)); }
  void bytes(std::string_view text) {
    varint(text.size());
    out_.append(text);
  }
  const std::string& data() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}
  std::uint64_t varint() {
    // Up to three bytes (most deltas and counts, a stack's frame id deltas)
    // inline; longer ones and damage below.
    if (in_.size() >= 2) {
      auto first = static_cast<std::uint8_t>(in_[0]), second = static_cast<std::uint8_t>(in_[1]);
      if (first < 0x80) {
        in_.remove_prefix(1);
        return first;
      }
      if (second < 0x80) {
        in_.remove_prefix(2);
        return (first & 0x7fu) | std::uint64_t{second} << 7;
      }
      if (in_.size() >= 3 && static_cast<std::uint8_t>(in_[2]) < 0x80) {
        auto third = static_cast<std::uint8_t>(in_[2]);
        in_.remove_prefix(3);
        return (first & 0x7fu) | std::uint64_t{second & 0x7fu} << 7 | std::uint64_t{third} << 14;
      }
    } else if (!in_.empty() && static_cast<std::uint8_t>(in_.front()) < 0x80) {
      auto byte = static_cast<std::uint8_t>(in_.front());
      in_.remove_prefix(1);
      return byte;
    }
    return long_varint();
  }
  std::int64_t svarint() {
    std::uint64_t raw = varint();
    return static_cast<std::int64_t>((raw >> 1) ^ (~(raw & 1) + 1));
  }
  // `previous` plus the next signed delta (see wrapping_add).
  std::int64_t delta_from(std::int64_t previous) { return wrapping_add(previous, svarint()); }
  std::string bytes();
  // A count that must fit in what is left (each element takes >= 1 byte).
  std::uint64_t count();
  bool done() const { return in_.empty(); }
  std::size_t remaining() const { return in_.size(); }

 private:
  std::uint64_t long_varint();

  std::string_view in_;
};

// FNV-1a: stable across builds and machines (it is stored in the file).
std::uint64_t stable_hash(std::string_view bytes);

// zlib deflate with the raw size in front; inflate checks it.
std::string deflate_blob(std::string_view raw);
std::string inflate_blob(std::string_view packed);

}  // namespace ember::store

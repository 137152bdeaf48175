#include "byte_codec.hpp"

#include <zlib.h>

namespace ember::store {

void ByteWriter::varint(std::uint64_t value) {
  while (value >= 0x80) {
    out_.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out_.push_back(static_cast<char>(value));
}

std::uint64_t ByteReader::long_varint() {
  std::uint64_t value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (in_.empty()) throw CorruptBlob("blob ends inside a number");
    auto byte = static_cast<std::uint8_t>(in_.front());
    in_.remove_prefix(1);
    value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return value;
  }
  throw CorruptBlob("number longer than 64 bits in a blob");
}

std::string ByteReader::bytes() {
  std::uint64_t size = varint();
  if (size > in_.size()) throw CorruptBlob("string runs past the end of a blob");
  std::string text(in_.substr(0, size));
  in_.remove_prefix(size);
  return text;
}

std::uint64_t ByteReader::count() {
  std::uint64_t n = varint();
  if (n > in_.size()) throw CorruptBlob("element count larger than the blob");
  return n;
}

std::uint64_t stable_hash(std::string_view bytes) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (char c : bytes) {
    hash ^= static_cast<std::uint8_t>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::string deflate_blob(std::string_view raw) {
  ByteWriter header;
  header.varint(raw.size());
  std::string out = header.take();
  std::size_t offset = out.size();
  uLongf bound = compressBound(static_cast<uLong>(raw.size()));
  out.resize(offset + bound);
  int code = compress2(reinterpret_cast<Bytef*>(out.data() + offset), &bound,
                       reinterpret_cast<const Bytef*>(raw.data()), static_cast<uLong>(raw.size()),
                       Z_BEST_COMPRESSION);  // written once, on the sinks' thread
  if (code != Z_OK) throw std::runtime_error("zlib compress2 failed: " + std::to_string(code));
  out.resize(offset + bound);
  return out;
}

std::string inflate_blob(std::string_view packed) {
  ByteReader reader(packed);
  std::uint64_t size = reader.varint();
  std::size_t header = packed.size();
  {
    ByteWriter probe;
    probe.varint(size);
    header = probe.data().size();
  }
  // deflate cannot expand more than ~1032:1; anything beyond is damage.
  if (size > (packed.size() - header + 1) * 1100) throw CorruptBlob("implausible blob size");
  std::string raw(size, '\0');
  uLongf produced = static_cast<uLongf>(size);
  int code = uncompress(reinterpret_cast<Bytef*>(raw.data()), &produced,
                        reinterpret_cast<const Bytef*>(packed.data() + header),
                        static_cast<uLong>(packed.size() - header));
  if (code != Z_OK || produced != size) throw CorruptBlob("compressed blob does not inflate");
  return raw;
}

}  // namespace ember::store

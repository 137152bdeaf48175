#include "code_reader.hpp"

#include <algorithm>
#include <cstring>

#include "bpf/cpython_bpf.h"

namespace ember::cpython {
namespace {

// PyObject's header in every supported build (neither Py_TRACE_REFS nor
// free-threaded): ob_refcnt, then ob_type.
constexpr std::size_t kRefcountOffset = 0;
constexpr std::size_t kTypeOffset = 8;
constexpr std::size_t kHeaderSize = 16;
// A live object's count is at least 1 and, immortal ones included (3.12+
// saturate at UINT32_MAX), at most 2^32 - 1. A block pymalloc or malloc
// freed starts with a free-list link instead: 0 or a heap address.
constexpr std::uint64_t kMaxRefcount = 0xffffffffull;

}  // namespace

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp <= 0x10ffff) {
    out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out += "\xef\xbf\xbd";  // U+FFFD
  }
}

bool CodeReader::live_object(const std::uint8_t* raw, std::uint64_t type) {
  std::uint64_t refcount = 0, actual_type = 0;
  std::memcpy(&refcount, raw + kRefcountOffset, sizeof(refcount));
  std::memcpy(&actual_type, raw + kTypeOffset, sizeof(actual_type));
  return refcount >= 1 && refcount <= kMaxRefcount && (type == 0 || actual_type == type);
}

bool CodeReader::is_live(std::uint64_t address, std::uint64_t type) const {
  std::uint8_t header[kHeaderSize];
  return read_(address, header, sizeof(header)) && live_object(header, type);
}

std::optional<std::string> CodeReader::read_str(std::uint64_t address) const {
  if (address == 0) return std::nullopt;
  if (offsets_.string_model == CPYTHON_STRINGS_BYTES) {
    auto bytes = read_bytes(address);
    if (!bytes || bytes->size() > kMaxString) return std::nullopt;
    return std::string(bytes->begin(), bytes->end());
  }
  if (offsets_.string_model != CPYTHON_STRINGS_PEP393) return std::nullopt;
  if (!is_live(address, types_.str)) return std::nullopt;
  std::int64_t length = 0;
  std::uint32_t state = 0;
  if (!read_value(address + offsets_.unicode_length, length) ||
      !read_value(address + offsets_.unicode_state, state)) {
    return std::nullopt;
  }
  if (length < 0 || static_cast<std::uint64_t>(length) > kMaxString) return std::nullopt;
  bool compact = (state >> offsets_.unicode_compact_bit) & 1;
  bool ascii = (state >> offsets_.unicode_ascii_bit) & 1;
  unsigned kind = (state >> offsets_.unicode_kind_shift) & 7;
  if (!compact || (kind != 1 && kind != 2 && kind != 4)) return std::nullopt;
  std::uint64_t data =
      address + (ascii ? offsets_.unicode_ascii_size : offsets_.unicode_compact_size);
  std::vector<std::uint8_t> raw(static_cast<std::size_t>(length) * kind);
  if (!raw.empty() && !read_(data, raw.data(), raw.size())) return std::nullopt;
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < static_cast<std::size_t>(length); ++i) {
    std::uint32_t cp = 0;
    if (kind == 1) {
      cp = raw[i];
    } else if (kind == 2) {
      std::uint16_t v;
      std::memcpy(&v, raw.data() + 2 * i, 2);
      cp = v;
    } else {
      std::memcpy(&cp, raw.data() + 4 * i, 4);
    }
    append_utf8(out, cp);
  }
  return out;
}

std::optional<std::vector<std::uint8_t>> CodeReader::read_bytes(std::uint64_t address) const {
  if (address == 0 || !is_live(address, types_.bytes)) return std::nullopt;
  std::int64_t size = 0;
  if (!read_value(address + offsets_.var_size, size)) return std::nullopt;
  if (size < 0 || static_cast<std::uint64_t>(size) > kMaxBytes) return std::nullopt;
  std::vector<std::uint8_t> out(static_cast<std::size_t>(size));
  if (!out.empty() && !read_(address + offsets_.bytes_sval, out.data(), out.size())) {
    return std::nullopt;
  }
  return out;
}

std::optional<CodeInfo> CodeReader::read_code(std::uint64_t address) const {
  if (address == 0) return std::nullopt;
  std::vector<std::uint8_t> raw(std::max<std::size_t>(offsets_.code_size, kHeaderSize));
  if (!read_(address, raw.data(), raw.size()) || !live_object(raw.data(), types_.code)) {
    return std::nullopt;
  }
  auto field = [&](std::uint32_t offset, auto& out) {
    if (offset == CPYTHON_OFFSET_NONE || offset + sizeof(out) > raw.size()) return false;
    std::memcpy(&out, raw.data() + offset, sizeof(out));
    return true;
  };
  std::uint64_t name = 0, qualname = 0, filename = 0, linetable = 0;
  std::int32_t first_line = 0;
  if (!field(offsets_.code_filename, filename) || !field(offsets_.code_firstlineno, first_line) ||
      !field(offsets_.code_linetable, linetable)) {
    return std::nullopt;
  }
  field(offsets_.code_name, name);
  field(offsets_.code_qualname, qualname);

  CodeInfo info;
  info.first_line = first_line;
  info.check = cpython_code_check(filename, static_cast<std::uint32_t>(first_line));
  std::optional<std::string> n = read_str(qualname);
  if (!n) n = read_str(name);
  if (!n) return std::nullopt;
  info.name = std::move(*n);
  info.file = read_str(filename).value_or("<unknown>");
  info.file_address = filename;
  if (auto table = read_bytes(linetable)) {
    switch (offsets_.line_table) {
      case CPYTHON_LINES_LNOTAB:
        info.lines = LineTable::decode_lnotab(*table, first_line, offsets_.major >= 3);
        break;
      case CPYTHON_LINES_LINETABLE_310:
        info.lines = LineTable::decode_linetable_310(*table, first_line);
        break;
      default:
        info.lines = LineTable::decode_locations(*table, first_line);
        break;
    }
  }
  // Still the same live code object: one freed while its strings were read
  // may have left them to other objects. (Only the fields read are
  // compared: the interpreter rewrites others as the code runs.)
  std::vector<std::uint8_t> again(raw.size());
  if (!read_(address, again.data(), again.size()) || !live_object(again.data(), types_.code)) {
    return std::nullopt;
  }
  for (std::uint32_t offset :
       {std::uint32_t{kTypeOffset}, offsets_.code_filename, offsets_.code_firstlineno,
        offsets_.code_linetable, offsets_.code_name, offsets_.code_qualname}) {
    std::size_t size = offset == offsets_.code_firstlineno ? sizeof(first_line) : 8;
    if (offset == CPYTHON_OFFSET_NONE || offset + size > raw.size()) continue;
    if (std::memcmp(raw.data() + offset, again.data() + offset, size) != 0) return std::nullopt;
  }
  return info;
}

std::int64_t CodeReader::table_offset(std::uint64_t position) const {
  if (offsets_.frame_model == CPYTHON_FRAMES_PYFRAMEOBJECT) {
    auto lasti = static_cast<std::int32_t>(static_cast<std::uint32_t>(position));
    if (lasti < 0) return -1;
    // 3.10's f_lasti counts 2-byte code units, its line table bytes.
    return offsets_.line_table == CPYTHON_LINES_LINETABLE_310 ? std::int64_t{lasti} * 2 : lasti;
  }
  // Unsigned: a position is a word read from the process, any value at all.
  if (position < offsets_.code_code_adaptive) return -1;
  return static_cast<std::int64_t>((position - offsets_.code_code_adaptive) / 2);
}

}  // namespace ember::cpython

// Reads CPython objects out of another process' memory: str (PEP 393; 2.7's
// byte strings), bytes, and code objects (name, file, first line, line
// table), through the offsets of one CPython version.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "line_table.hpp"
#include "offsets/cpython_offsets.h"

namespace ember::cpython {

// Copies `size` bytes at `address` of the target; false when unreadable.
using MemoryReader = std::function<bool(std::uint64_t address, void* buffer, std::size_t size)>;

// The type objects (PyCode_Type, PyUnicode_Type or 2.7's PyString_Type,
// PyBytes_Type or 2.7's PyString_Type) at their addresses in the target: an
// object is read only when its ob_type is the one its reader expects, so
// memory that held a code object and now holds another object (or a freed
// block) is never read as one. 0: not checked.
struct ObjectTypes {
  std::uint64_t code = 0;
  std::uint64_t str = 0;
  std::uint64_t bytes = 0;
};

struct CodeInfo {
  std::string name;  // co_qualname (3.11+), else co_name
  std::string file;  // co_filename
  std::uint64_t file_address = 0;  // the co_filename str object
  std::int32_t first_line = 0;
  LineTable lines;  // in the units table_offset() returns
  // cpython_code_check() of the object read (bpf/cpython_bpf.h): whether it
  // is the one a sample recorded.
  std::uint64_t check = 0;
};

class CodeReader {
 public:
  CodeReader(const cpython_offsets& offsets, MemoryReader read, ObjectTypes types = {})
      : offsets_(offsets), read_(std::move(read)), types_(types) {}

  // A str object as UTF-8 (2.7: the bytes of a str); nullopt when unreadable
  // or not a compact str.
  std::optional<std::string> read_str(std::uint64_t address) const;
  // A bytes object's contents; nullopt when unreadable or absurdly large.
  std::optional<std::vector<std::uint8_t>> read_bytes(std::uint64_t address) const;
  // A code object; nullopt when it cannot be read, or what is at `address`
  // is no live code object (another type, a freed block) or stops being one
  // while its fields are read.
  std::optional<CodeInfo> read_code(std::uint64_t address) const;

  // The line table unit of a frame's recorded position (word1 without flags,
  // see bpf/cpython_bpf.h), -1 before the first instruction.
  std::int64_t table_offset(std::uint64_t position) const;

  static constexpr std::size_t kMaxString = 4096;
  static constexpr std::size_t kMaxBytes = 1 << 20;

 private:
  template <typename T>
  bool read_value(std::uint64_t address, T& out) const {
    return read_(address, &out, sizeof(out));
  }

  // Whether the object header at the start of `raw` is a live object of
  // `type` (0: any type).
  static bool live_object(const std::uint8_t* raw, std::uint64_t type);
  // Reads the object header at `address` and checks it as live_object().
  bool is_live(std::uint64_t address, std::uint64_t type) const;

  cpython_offsets offsets_;
  MemoryReader read_;
  ObjectTypes types_;
};

// Appends `code_point` to `out` as UTF-8.
void append_utf8(std::string& out, std::uint32_t code_point);

}  // namespace ember::cpython

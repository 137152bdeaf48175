// One compilation unit's line program (.debug_line, DWARF 2 to 5), indexed
// for lookups by address without decoding it into rows. libdw decodes a
// unit's whole program into a sorted row array at its first lookup and keeps
// it until the handle closes: ~12 times the encoded size (an interpreter's
// main loop unit alone is megabytes), so a few interpreters' tables filled
// the DWARF budget and every reopen decoded them again. Here one pass over
// the program keeps every 32nd row (address, file, line and where the
// program goes on after it); a lookup decodes at most 32 rows from the
// checkpoint before the address.
//
// The row at an address is the last one at or before it in the sequence
// holding it, as llvm-symbolizer picks. Programs it does not read (VLIW
// op indexes, string forms that point elsewhere) are refused at read():
// the unit then has no lines.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ember::native {

// The sections a line program's header points into.
struct LineSections {
  std::string_view line;      // .debug_line
  std::string_view line_str;  // .debug_line_str (DWARF 5)
  std::string_view str;       // .debug_str
};

class LineTable {
 public:
  struct Row {
    std::uint32_t file = 0;  // index into file_name()
    std::uint32_t line = 0;
  };

  // The program at `offset` of sections.line; null when it is malformed or
  // uses what this reader does not (`why` says which). The program is read
  // in place: sections.line must outlive the table.
  static std::unique_ptr<LineTable> read(const LineSections& sections, std::uint64_t offset,
                                         std::string& why);

  // The row for `vaddr`; false when no sequence covers it.
  bool find(std::uint64_t vaddr, Row& out) const;

  // File `index` as the unit numbers them (the line program's file register,
  // DW_AT_call_file): its directory joined in front when the name is
  // relative, which may itself be relative to the unit's compilation
  // directory. None for an index the table does not have.
  std::optional<std::string> file_name(std::uint64_t index) const;

  // Heap this table holds.
  std::size_t memory() const;

  // Rows the program has (for tests and estimates).
  std::size_t rows() const { return rows_; }

 private:
  struct Header {
    unsigned min_instruction_length = 1;
    int line_base = 0;
    unsigned line_range = 1;
    unsigned opcode_base = 1;
    std::vector<std::uint8_t> standard_lengths;
  };
  // Where the program goes on after a row, and the row.
  struct Checkpoint {
    std::uint32_t address;  // from its sequence's low
    std::uint32_t offset;   // in program_
    std::uint32_t file;
    std::uint32_t line;
  };
  struct Sequence {
    std::uint64_t low;
    std::uint64_t high;  // the end_sequence row's address
    std::uint32_t first;  // checkpoints_[first, first + count)
    std::uint32_t count;
  };
  class Decoder;

  LineTable() = default;
  bool read_header(const LineSections& sections, std::uint64_t offset, std::string& why);
  bool index(std::string& why);

  // A string in the sections, in 4 bytes: which section (top 2 bits) and
  // where in it.
  using StringRef = std::uint32_t;
  static constexpr StringRef kNoString = 0xffffffffu;
  StringRef ref_of(std::string_view text) const;
  std::string_view string_of(StringRef ref) const;

  LineSections sections_;
  std::string_view program_;  // the program's opcodes, in the mapped section
  Header header_;
  // A file's directory and name, in the sections (as the program is): a
  // unit names tens of files, of which a lookup wants one or two, and the
  // tables of every unit looked up in libc6-dbg and libpython held 1.8 MB
  // of joined paths (and 0.85 MB as two string_views a file).
  struct File {
    StringRef directory;
    StringRef name;  // kNoString: no such file
  };
  std::vector<File> files_;
  std::vector<Checkpoint> checkpoints_;
  std::vector<Sequence> sequences_;  // sorted by low
  std::size_t rows_ = 0;
};

}  // namespace ember::native

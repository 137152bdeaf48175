// A Go binary's pclntab (the runtime's own symbol table, which survives
// `-ldflags="-s -w"`): function table, names, the pc -> file and pc -> line
// tables, and the inline trees (FUNCDATA_InlTree) that turn one pc into the
// chain of functions inlined there.
//
// Layouts, from the Go sources (runtime/symtab.go, runtime/runtime2.go,
// cmd/link/internal/ld/pcln.go, debug/gosym/pclntab.go), one per header magic:
//   0xfffffffa  Go 1.16-1.17: functab {entry uintptr, funcoff uintptr};
//               _func starts with an absolute entry; funcdata are pointers
//   0xfffffff0  Go 1.18-1.19: a textStart in the header; functab
//               {entryoff u32, funcoff u32}; funcdata are u32 offsets from
//               moduledata.gofunc (go.func.*)
//   0xfffffff1  Go 1.20+: _func gains startLine; inlinedCall shrinks to
//               {funcID, nameOff, parentPc, startLine}
// The header: magic u32, two zero bytes, the pc quantum (1 on amd64), the
// pointer size, then pointer-sized nfunc, nfiles, [textStart,] and the
// offsets of funcnametab, cutab, filetab, pctab and the function table.
// Go 1.2-1.15 tables (0xfffffffb) and big-endian ones are refused.
//
// Parsing checks the header and the function table (sorted, in bounds);
// every later read is bounds-checked, so a corrupt table gives unnamed
// pcs, never a read outside it. The table is not copied: `table` must stay
// mapped while the Pclntab is used.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "ember/status.hpp"

namespace ember::go {

enum class PclntabVersion : std::uint8_t { go116, go118, go120 };

// One frame of a pc: the function, and the position in it.
struct GoFrame {
  std::string_view function;
  std::string_view file;  // empty when the table has none
  std::uint32_t line = 0;
  bool inlined = false;  // inlined into the frame after it
};

// The bytes at a link-time vaddr outside the table (where the inline trees
// live: go.func.*), empty when the file has none there.
using VaddrReader = std::function<std::span<const std::uint8_t>(std::uint64_t vaddr,
                                                                std::uint64_t size)>;

class Pclntab {
 public:
  // Inline chains longer than this are cut (a corrupt tree could loop).
  static constexpr std::size_t kMaxInlineDepth = 32;

  // `table_vaddr`: the table's link-time address (aligns 1.16's funcdata).
  static Status parse(std::span<const std::uint8_t> table, std::uint64_t table_vaddr,
                      Pclntab& out);

  PclntabVersion version() const { return version_; }
  std::size_t function_count() const { return nfunc_; }
  std::uint64_t function_entry(std::size_t index) const;
  std::string_view function_name(std::size_t index) const;
  // [first function's entry, end of the last): the code the table names.
  std::uint64_t text_start() const { return function_entry(0); }
  std::uint64_t text_end() const { return function_entry(nfunc_); }

  // Where the inline trees are read: `gofunc` is moduledata.gofunc for 1.18+
  // (unused for 1.16, whose funcdata are addresses). Without it, pcs are
  // named by their outermost function only.
  void set_inline_data(VaddrReader reader, std::uint64_t gofunc);
  bool has_inline_data() const { return static_cast<bool>(reader_); }

  // The frames of link-time `pc`, innermost first (inlined calls first, the
  // real function last). False when no function holds pc.
  bool frames(std::uint64_t pc, std::vector<GoFrame>& out) const;

  // How far the stack pointer at link-time `pc` is below its value at the
  // function's entry (the pcsp table: 0 in frameless leaves and at entry).
  std::optional<std::int32_t> sp_delta(std::uint64_t pc) const;

 private:
  struct Region {
    std::size_t offset = 0;
    std::size_t size = 0;
  };
  struct FuncRecord {
    std::uint64_t entry = 0;
    std::uint64_t end = 0;
    std::int32_t name_offset = 0;
    std::uint32_t pcsp = 0;
    std::uint32_t pcfile = 0;
    std::uint32_t pcln = 0;
    std::uint32_t npcdata = 0;
    std::uint32_t cu_offset = 0;
    std::uint8_t nfuncdata = 0;
    std::size_t pcdata = 0;    // table offset of pcdata[0]
    std::size_t funcdata = 0;  // table offset of funcdata[0]
  };

  std::optional<std::uint64_t> read_uint(std::size_t offset, std::size_t size) const;
  std::optional<std::size_t> find_function(std::uint64_t pc) const;
  std::optional<FuncRecord> record(std::size_t index) const;
  std::optional<std::int32_t> pc_value(std::uint32_t table_offset, std::uint64_t entry,
                                       std::uint64_t pc) const;
  std::string_view name(std::int64_t name_offset) const;
  std::string_view file(const FuncRecord& f, std::uint64_t pc) const;
  std::uint32_t line(const FuncRecord& f, std::uint64_t pc) const;
  std::optional<std::uint64_t> inline_tree(const FuncRecord& f) const;

  std::span<const std::uint8_t> table_;
  std::uint64_t table_vaddr_ = 0;
  PclntabVersion version_ = PclntabVersion::go118;
  std::uint8_t quantum_ = 1;
  std::uint8_t ptr_size_ = 8;
  std::size_t nfunc_ = 0;
  std::uint64_t text_base_ = 0;  // textStart (1.18+), 0 for 1.16's absolute entries
  Region funcnames_, cutab_, filetab_, pctab_, functab_;
  VaddrReader reader_;
  std::uint64_t gofunc_ = 0;
};

}  // namespace ember::go

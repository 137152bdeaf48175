// Source lines and inlined calls of one ELF object's DWARF: the object
// itself or its separate debug file. One lookup turns a link-time address
// into its functions, innermost first: the inlined functions the address is
// in, then the function they were inlined into, each with the file and line
// it is at (for an inlined function's callers: the line of the inlined
// call). DWARF that dwz compressed is read with its alt file.
//
// DIEs are read in place by dwarf_dies.hpp and line programs by LineTable
// (line_table.hpp: a sparse index per unit; libpython3.12's 155 units take
// 1.7 MB, where libdw's decoded tables took 28 MB). What the handle keeps
// is, per unit looked up, its function ranges and line index, and the
// units' ranges: memory_estimate() lets the owner close and reopen the
// handle to bound that. A unit whose line program LineTable refuses has
// function names without lines.
// The file is mapped (by libelf); the pages lookups touched stay resident
// until release_file_pages(), which the owner calls now and then (DwarfPool:
// at most ten times a second, and when idle); a lookup's own bulk reads (the
// walk over the units' headers, a unit's DIEs) give theirs back at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ember/status.hpp"

namespace ember::native {

struct SourceFunction {
  std::string name;  // linkage (mangled) name when DWARF has one, else the plain name
  std::string file;  // as the compiler recorded it, usually absolute
  std::uint32_t line = 0;
  bool inlined = false;
};

class DwarfSource {
 public:
  // Opens `path`; a file without DWARF is an error.
  static Status open(const std::string& path, std::unique_ptr<DwarfSource>& out);
  // Opens `path` with `alt_path`, the dwz alt file its DWARF points into
  // (alt_debug_file.hpp). An alt file that cannot be read is left out, and
  // `note` says so: what dwz moved there stays unnamed.
  static Status open(const std::string& path, const std::string& alt_path,
                     std::unique_ptr<DwarfSource>& out, std::string& note);
  ~DwarfSource();
  DwarfSource(const DwarfSource&) = delete;
  DwarfSource& operator=(const DwarfSource&) = delete;

  // The functions at `vaddr`, innermost first (replacing `out`'s contents);
  // false when no unit covers it.
  bool lookup(std::uint64_t vaddr, std::vector<SourceFunction>& out);

  // Drops the pages of the file that lookups touched from the agent's RSS
  // (the page cache keeps them; a later lookup faults back what it reads).
  void release_file_pages();

  // Compilation units whose lines this handle has read.
  std::size_t units_read() const;
  // Heap bytes this handle holds: compressed debug sections inflated at
  // open, the units' ranges, per unit read its line index and function
  // index, and the few units kept open with their abbreviations. The file's
  // own pages are not counted: release_file_pages() drops them.
  std::size_t memory_estimate() const;

 private:
  struct Impl;
  explicit DwarfSource(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

}  // namespace ember::native

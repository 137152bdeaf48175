// The functions at an address as libdw reads the DIEs, for checking
// DwarfSource's own DIE reader against: the unit and function holding the
// address, the inlined calls inside it, their names (through abstract
// origins and specifications, into a dwz alt file) and call sites. Rows and
// file names come from LineTable, as DwarfSource's do: line_table_test
// checks those against libdw apart.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dwarf_source.hpp"

namespace ember::native::test {

class LibdwFunctions {
 public:
  // Opens `path` (with `alt_path`, a dwz alt file, when not empty); null
  // when libdw cannot.
  static std::unique_ptr<LibdwFunctions> open(const std::string& path,
                                              const std::string& alt_path = "");
  ~LibdwFunctions();
  LibdwFunctions(const LibdwFunctions&) = delete;
  LibdwFunctions& operator=(const LibdwFunctions&) = delete;

  // As DwarfSource::lookup.
  bool lookup(std::uint64_t vaddr, std::vector<SourceFunction>& out);

 private:
  struct Impl;
  explicit LibdwFunctions(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ember::native::test

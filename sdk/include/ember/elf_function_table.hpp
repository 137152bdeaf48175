// An ELF object's functions for naming addresses, with their names left in
// the file: the same functions as ElfFile reads (same selection, order, sizes
// and names), each stored as 12 bytes (address from the first function's,
// size, where its name lies in the file's string table), the name read with
// pread when a caller asks for it. A symbolizer that keeps every mapped
// binary's table for as long as a process maps it holds 12 bytes a function
// instead of 24 plus the name (a C++ library's mangled names are megabytes);
// the few names a profile shows are read once and cached above.
//
// A table read from a file keeps a duplicate of its descriptor (closed with
// the last copy of the table), so a binary deleted or replaced since it was
// opened still names its functions. A file changed in place since (another
// size or modification time), or shorter than its string table now, gives
// no name rather than a wrong one.
//
// Names stay in memory, as in ElfFile, when there is no file to read them
// from later: a table read from memory (the ELF inside .gnu_debugdata), one
// whose string tables are not plain bytes of the file, or when no descriptor
// is left to keep (EMFILE).
//
// A function more than 4 GiB past the object's first one is left out (its
// addresses are not named); a size beyond 4 GiB is cut to it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ember/elf_file.hpp"
#include "ember/status.hpp"

namespace ember {

class ElfFunctionTable {
 public:
  ElfFunctionTable() = default;

  // Reads the functions of an open file (not closed; a duplicate is kept for
  // the names). On error `out` is left empty and the message names `name`.
  static Status open_fd(int fd, const std::string& name, ElfFunctionTable& out);
  // Reads an ELF image in memory (which libelf may rewrite in place); the
  // names are copied, so `out` keeps nothing pointing into it.
  static Status open_memory(std::span<unsigned char> image, const std::string& name,
                            ElfFunctionTable& out);

  // GNU build id as lowercase hex; empty when the object has none.
  const std::string& build_id() const { return build_id_; }

  // Functions, sorted by address, without duplicates.
  std::size_t function_count() const { return functions_.size(); }
  // The function's address and size; `name` is left empty (see name()).
  ElfSymbol function(std::size_t index) const;
  // The index of the function containing `vaddr` (a link-time address).
  std::optional<std::size_t> find_function_index(std::uint64_t vaddr) const;
  // The function's name, read from the file when it is not in memory; empty
  // when it cannot be read (see above).
  std::string name(std::size_t index) const;
  // Whether names are read from the file (false: they are in memory).
  bool names_in_file() const { return file_ != nullptr; }

  // Approximate heap bytes held, for cache accounting.
  std::size_t memory_bytes() const;

 private:
  friend class ElfReader;
  struct Entry {
    std::uint32_t offset;  // address - base_
    std::uint32_t size;
    // Names in the file: the top bit picks the string table (tables_), the
    // rest is the offset in it. In memory: the offset in names_.
    std::uint32_t name;
  };
  static constexpr std::uint32_t kTableBit = 0x8000'0000u;
  struct StringTable {
    std::uint64_t offset = 0;  // in the file
    std::uint64_t size = 0;
  };
  struct File;  // the duplicate descriptor and what the file was when read
  // A duplicate of `fd` and its size and modification time now; null when
  // either cannot be had.
  static std::shared_ptr<const File> keep_file(int fd);

  std::string read_name(const Entry& entry) const;

  std::string build_id_;
  std::uint64_t base_ = 0;        // the first function's address
  std::vector<Entry> functions_;  // sorted by address
  std::array<StringTable, 2> tables_{};  // .symtab's and .dynsym's, when in the file
  std::vector<char> names_;              // when not in the file
  std::shared_ptr<const File> file_;
};

}  // namespace ember

// A symbol table and its string table read from the file in fixed-size
// pieces with pread, instead of whole through libelf's elf_getdata and
// elf_strptr (each reads its section into one heap buffer: a large binary's
// .symtab and .strtab are tens of MB while it is read). pread keeps what
// ELF_C_READ gives: a file truncated under us is a short read, an error, not
// SIGBUS.
#pragma once

#include <gelf.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ember::elf_chunks {

inline constexpr std::size_t kChunkBytes = 64 * 1024;

// The entries of a SHT_SYMTAB or SHT_DYNSYM section lying at [offset,
// offset + size) of `elf`'s file `fd`, in order from index 0, converted as
// gelf_getsym converts them.
class SymbolChunks {
 public:
  SymbolChunks(Elf* elf, int fd, std::uint64_t offset, std::uint64_t size);

  // The next entry; false at the end or when a read fails (failed()).
  bool next(GElf_Sym& out);
  bool failed() const { return failed_; }

 private:
  bool load();

  int fd_;
  std::uint64_t at_;   // in the file: where the next chunk starts
  std::uint64_t end_;  // in the file
  int elf_class_;
  unsigned char encoding_;
  Elf* elf_;
  std::size_t entry_size_;
  std::vector<unsigned char> raw_;
  std::vector<unsigned char> converted_;
  std::size_t entries_ = 0;  // in converted_
  std::size_t next_ = 0;     // index in converted_
  bool failed_ = false;
};

// NUL-terminated strings of a string table at [offset, offset + size) of
// `fd`, one chunk kept: asked in increasing offsets, each chunk is read once.
class StringChunks {
 public:
  StringChunks(int fd, std::uint64_t offset, std::uint64_t size);

  enum class Read { ok, invalid, failed };
  // The string at `at` into `out`, or (with !whole) only its first byte, ""
  // for an empty one. invalid as elf_strptr has it: `at` past the table or
  // no NUL between it and the table's end; failed: a read came short.
  Read string_at(std::uint64_t at, bool whole, std::string& out);

 private:
  // Makes the chunk hold table offset `at`.
  bool cover(std::uint64_t at);

  int fd_;
  std::uint64_t offset_;
  std::uint64_t size_;
  int last_byte_ = -1;  // the table's last byte, read on first need
  std::vector<char> chunk_;
  std::uint64_t chunk_at_ = 0;  // table offset of chunk_[0]
  std::size_t chunk_length_ = 0;
};

// Reads `size` bytes at `offset` whole; false on a short read or an error.
bool pread_whole(int fd, void* buffer, std::size_t size, std::uint64_t offset);

}  // namespace ember::elf_chunks

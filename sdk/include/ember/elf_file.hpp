// What ember needs from one ELF object, read in a single pass with libelf:
// its type, GNU build id, PT_LOAD segments (to turn a mapping into a load
// bias) and symbols. Function symbols of .symtab and .dynsym are merged,
// sorted by address and deduplicated; symbols without a size reach the next
// symbol of their section. Names live in one arena, so a file costs about
// 24 bytes per symbol plus its names.
//
// Malformed, truncated or foreign files are a Status error, never a crash.
// An image in memory (the ELF inside .gnu_debugdata) reads the same way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ember/status.hpp"

namespace ember {

enum class ElfType : std::uint8_t {
  executable,     // ET_EXEC: loaded at its link-time addresses (non-PIE)
  shared_object,  // ET_DYN: shared libraries and PIE executables, loaded with a bias
  other,          // relocatable objects, core files, ...
};

enum class SymbolKind : std::uint8_t {
  function,  // STT_FUNC, STT_GNU_IFUNC
  object,    // STT_OBJECT, STT_COMMON
  tls,       // STT_TLS: `address` is an offset in the TLS block, not a vaddr
};

struct ElfSymbol {
  std::string_view name;      // valid while the ElfFile lives
  std::uint64_t address = 0;  // link-time virtual address (st_value)
  std::uint64_t size = 0;
  SymbolKind kind = SymbolKind::function;

  bool contains(std::uint64_t vaddr) const { return vaddr >= address && vaddr - address < size; }
};

struct ElfLoadSegment {
  std::uint64_t vaddr = 0;
  std::uint64_t memsz = 0;
  std::uint64_t offset = 0;  // in the file
  std::uint64_t filesz = 0;
  bool readable = false;
  bool writable = false;
  bool executable = false;
};

struct ElfReadOptions {
  // Keep object and TLS symbols for find_symbol(); a symbolizer that only
  // names code can drop them to save memory.
  bool data_symbols = true;
  // Read the symbol tables at all: a caller that wants only the build id and
  // segments leaves them unread (a large binary's tables are megabytes).
  bool symbols = true;
  // When not empty, only the symbols of these names are kept: a probe looking
  // for a few symbols need not copy every name of a large binary.
  std::vector<std::string> only_names{};
};

class ElfFile {
 public:
  ElfFile() = default;

  // Reads `path`; on error `out` is left empty and the message names the path.
  static Status open(const std::string& path, ElfFile& out, const ElfReadOptions& options = {});
  // Reads an already open file (not closed); `name` is used in messages.
  static Status open_fd(int fd, const std::string& name, ElfFile& out,
                        const ElfReadOptions& options = {});
  // Reads an ELF image in memory, which libelf may rewrite in place (byte
  // order); `out` keeps nothing pointing into it.
  static Status open_memory(std::span<unsigned char> image, const std::string& name,
                            ElfFile& out, const ElfReadOptions& options = {});

  ElfType type() const { return type_; }
  // GNU build id as lowercase hex; empty when the object has none.
  const std::string& build_id() const { return build_id_; }
  std::span<const ElfLoadSegment> load_segments() const { return segments_; }

  // What to subtract from a runtime address in a mapping of this file that
  // starts at `map_start` and maps file offset `map_offset`, to get the
  // link-time vaddr. 0 for non-PIE executables; nullopt when no PT_LOAD
  // segment covers `map_offset`.
  std::optional<std::uint64_t> load_bias(std::uint64_t map_start, std::uint64_t map_offset) const;

  // Functions, sorted by address, without duplicates.
  std::size_t function_count() const { return functions_.size(); }
  ElfSymbol function(std::size_t index) const { return view(functions_[index]); }
  // The index of the function containing `vaddr` (a link-time address).
  std::optional<std::size_t> find_function_index(std::uint64_t vaddr) const;
  std::optional<ElfSymbol> find_function(std::uint64_t vaddr) const;

  // Any symbol by exact name: functions first, then objects and TLS (when
  // read). A linear scan: meant for probing a binary, not per sample.
  std::optional<ElfSymbol> find_symbol(std::string_view name) const;

  // Approximate heap bytes held, for cache accounting.
  std::size_t memory_bytes() const;

 private:
  struct StoredSymbol {
    std::uint64_t address;
    std::uint64_t size;
    std::uint32_t name;  // offset into names_, NUL-terminated
    SymbolKind kind;
  };
  friend class ElfReader;

  ElfSymbol view(const StoredSymbol& s) const {
    return ElfSymbol{std::string_view(names_.data() + s.name), s.address, s.size, s.kind};
  }

  ElfType type_ = ElfType::other;
  std::string build_id_;
  std::vector<ElfLoadSegment> segments_;
  std::vector<StoredSymbol> functions_;  // sorted by address
  std::vector<StoredSymbol> data_;       // objects and TLS, file order
  std::vector<char> names_;
};

}  // namespace ember

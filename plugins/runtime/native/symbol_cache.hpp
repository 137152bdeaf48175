// Symbols of ELF objects, shared by every process (and handler) that maps
// the same object. An object is known by its build id, or by its file
// identity (device, inode, size, mtime) when it has none; a second key, the
// identity of each file opened, lets the next process skip reading the file.
// Entries live as long as some handler holds them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "ember/elf_file.hpp"
#include "ember/frame.hpp"
#include "ember/host.hpp"
#include "mapped_file.hpp"

namespace ember::native {

// One object's symbols, or the reason it could not be read.
class BinarySymbols {
 public:
  BinarySymbols(ElfFile elf, bool demangle);
  explicit BinarySymbols(std::string error);

  bool readable() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  const ElfFile& elf() const { return elf_; }

  // The frame naming function `index` in `module`: demangled once and
  // shared by every process, so a thousand processes hold one copy.
  FrameHandle function_frame(std::size_t index, std::string_view module) const;

 private:
  ElfFile elf_;
  std::string error_;
  bool demangle_ = true;
  mutable std::mutex mutex_;
  mutable std::unordered_map<std::size_t, FrameHandle> frames_;
};

class SymbolCache {
 public:
  SymbolCache(Host& host, bool demangle) : host_(host), demangle_(demangle) {}

  // The symbols of `file` (opened for `path`, the name the process uses).
  // Never null: an unreadable file gives an entry saying why, logged once.
  std::shared_ptr<const BinarySymbols> get(const MappedFile& file, const std::string& path);

  // Entries some handler still holds (for tests and metrics).
  std::size_t live_entries();

 private:
  using Entries = std::unordered_map<std::string, std::weak_ptr<const BinarySymbols>>;
  static std::shared_ptr<const BinarySymbols> lookup(Entries& entries, const std::string& key);
  void sweep();

  Host& host_;
  bool demangle_;
  std::mutex mutex_;
  Entries by_identity_;
  Entries by_build_id_;
  std::unordered_set<std::string> reported_;  // identities whose failure was logged
  std::size_t inserts_since_sweep_ = 0;
};

}  // namespace ember::native

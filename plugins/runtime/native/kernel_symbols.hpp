// Kernel text symbols from /proc/kallsyms, sorted for lookup by address.
// kallsyms has no sizes: a symbol reaches the next one.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ember/status.hpp"

namespace ember::native {

class KernelSymbols {
 public:
  struct Found {
    std::string name;
    std::string_view module;  // "" for the kernel image, "ext4" for [ext4]
    std::uint64_t address = 0;
  };

  // Parses kallsyms text ("address type name [module]" per line); code
  // symbols only. Lines that do not parse are skipped.
  static KernelSymbols parse(std::string_view text);
  // Reads the file in chunks: kallsyms is megabytes of text, never held whole.
  // With `keep`, only the code symbols whose address it accepts are held.
  static Status load(const std::string& path, KernelSymbols& out,
                     const std::function<bool(std::uint64_t)>& keep = {});

  // True when kallsyms showed only zero addresses (kptr_restrict, no CAP_SYSLOG).
  bool restricted() const { return restricted_; }
  std::size_t size() const { return file_ ? file_->count : symbols_.size(); }

  std::optional<Found> find(std::uint64_t address) const;
  // [start, end) of the image's text and init text (_stext.._etext,
  // _sinittext.._einittext), where kallsyms lists those bounds.
  const std::vector<std::pair<std::uint64_t, std::uint64_t>>& image_text() const {
    return image_text_;
  }

  // The table as bytes and back, for a copy saved for this boot
  // (kernel_symbols_cache.hpp). Symbols of BPF programs and ftrace
  // trampolines come and go while the kernel runs: they are left out.
  // The bytes go to `write` in pieces of about 64 KiB, the names at once
  // from where they are: the ~5 MB table is never in the heap twice.
  // False as soon as `write` returns false.
  using ByteSink = std::function<bool(std::string_view)>;
  bool serialize(const ByteSink& write) const;
  // The table serialize() wrote from `offset` to the end of the open file
  // `fd` (kept open through a duplicate), used from the file: it is checked
  // whole once and every kIndexStride-th symbol's address kept in the heap;
  // find() then reads one block of symbols and one name with pread, so
  // lookups map nothing and leave no file pages in the agent's RSS. An
  // error saying what is wrong (and `out` untouched) when the bytes there
  // are not a whole table.
  static Status read_saved(int fd, std::uint64_t offset, KernelSymbols& out);

  // What the table holds in the heap for lookups (symbols and names, or a
  // saved table's index).
  std::size_t heap_bytes() const;

  static constexpr std::size_t kIndexStride = 64;

  KernelSymbols() = default;
  KernelSymbols(KernelSymbols&&) = default;
  KernelSymbols& operator=(KernelSymbols&&) = default;
  KernelSymbols(const KernelSymbols&) = delete;  // a saved table's file is open once
  KernelSymbols& operator=(const KernelSymbols&) = delete;

 private:
  class Builder;

  struct Symbol {
    std::uint64_t address;
    std::uint32_t name;    // offset into the names
    std::uint32_t module;  // index into modules_, 0 = kernel image
  };

  // Where a saved table's symbols and names are in its file.
  struct InFile {
    int fd = -1;
    std::uint64_t symbols_at = 0;  // file offset of the symbol array
    std::uint64_t count = 0;
    std::uint64_t names_at = 0;
    std::uint64_t names_size = 0;
    std::vector<std::uint64_t> index;  // the address of symbol i * kIndexStride
    InFile() = default;
    InFile(const InFile&) = delete;
    InFile& operator=(const InFile&) = delete;
    ~InFile();
  };

  // The symbol `address` is in: the last at or before it, within reach.
  static const Symbol* symbol_before(std::span<const Symbol> symbols, std::uint64_t address);
  std::optional<Found> find_in_file(std::uint64_t address) const;

  std::vector<Symbol> symbols_;  // sorted by address; empty for a saved table
  std::vector<char> names_;      // NUL-terminated names
  std::unique_ptr<InFile> file_;
  std::vector<std::string> modules_{""};
  std::vector<std::pair<std::uint64_t, std::uint64_t>> image_text_;
  bool restricted_ = false;
};

}  // namespace ember::native

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
    std::string_view name;
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
  std::size_t size() const { return symbols_.size(); }

  std::optional<Found> find(std::uint64_t address) const;
  // [start, end) of the image's text and init text (_stext.._etext,
  // _sinittext.._einittext), where kallsyms lists those bounds.
  const std::vector<std::pair<std::uint64_t, std::uint64_t>>& image_text() const {
    return image_text_;
  }

  // The table as bytes and back, for a copy saved for this boot
  // (kernel_symbols_cache.hpp). Symbols of BPF programs and ftrace
  // trampolines come and go while the kernel runs: they are left out.
  // The symbol array is 8-byte aligned from the start of the bytes.
  std::string serialize() const;
  // A table over `bytes` in place (8-byte aligned, kept alive by `backing`):
  // a saved table is used where it was read, not copied. False (and `out`
  // untouched) when `bytes` is not a whole table.
  static bool view(std::string_view bytes, std::shared_ptr<const void> backing, KernelSymbols& out);
  // What find() reads of a table used in place (its symbols and names);
  // empty for a table held in the heap.
  std::string_view in_place_bytes() const;

  KernelSymbols() = default;
  KernelSymbols(KernelSymbols&&) = default;
  KernelSymbols& operator=(KernelSymbols&&) = default;
  KernelSymbols(const KernelSymbols&) = delete;  // the views would point into the original
  KernelSymbols& operator=(const KernelSymbols&) = delete;

 private:
  class Builder;

  struct Symbol {
    std::uint64_t address;
    std::uint32_t name;    // offset into names_
    std::uint32_t module;  // index into modules_, 0 = kernel image
  };

  // What lookups read: the owned vectors below, or a saved table in place.
  std::span<const Symbol> symbols_;  // sorted by address
  std::string_view names_;           // NUL-terminated names
  std::vector<Symbol> owned_symbols_;
  std::vector<char> owned_names_;
  std::shared_ptr<const void> backing_;
  std::vector<std::string> modules_{""};
  std::vector<std::pair<std::uint64_t, std::uint64_t>> image_text_;
  bool restricted_ = false;
};

}  // namespace ember::native

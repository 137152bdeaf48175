// Kernel text symbols from /proc/kallsyms, sorted for lookup by address.
// kallsyms has no sizes: a symbol reaches the next one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
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
  static Status load(const std::string& path, KernelSymbols& out);

  // True when kallsyms showed only zero addresses (kptr_restrict, no CAP_SYSLOG).
  bool restricted() const { return restricted_; }
  std::size_t size() const { return symbols_.size(); }

  std::optional<Found> find(std::uint64_t address) const;

 private:
  class Builder;

  struct Symbol {
    std::uint64_t address;
    std::uint32_t name;    // offset into names_
    std::uint32_t module;  // index into modules_, 0 = kernel image
  };

  std::vector<Symbol> symbols_;  // sorted by address
  std::vector<char> names_;      // NUL-terminated names
  std::vector<std::string> modules_{""};
  bool restricted_ = false;
};

}  // namespace ember::native

#include "demangle.hpp"

#include <cxxabi.h>
#include <libiberty/demangle.h>

#include <cstdlib>
#include <memory>

namespace ember::native {
namespace {

using Owned = std::unique_ptr<char, decltype(&std::free)>;

// libiberty's Rust demangler: v0, and legacy names, whose trailing hash it
// drops (unless asked to be verbose). nullptr for names that are not Rust.
Owned rust_name(const std::string& symbol) {
  return Owned(rust_demangle(symbol.c_str(), DMGL_PARAMS | DMGL_ANSI), &std::free);
}

}  // namespace

std::string demangle(std::string_view symbol) {
  bool itanium = symbol.starts_with("_Z");
  if (!itanium && !symbol.starts_with("_R")) return std::string(symbol);
  std::string terminated(symbol);
  // Legacy Rust names are valid Itanium names too: ask Rust first, which
  // recognises them by their hash and drops it.
  if (!itanium || symbol.starts_with("_ZN")) {
    if (Owned readable = rust_name(terminated)) return std::string(readable.get());
    if (!itanium) return terminated;
  }
  int status = 0;
  Owned readable(abi::__cxa_demangle(terminated.c_str(), nullptr, nullptr, &status), &std::free);
  if (status != 0 || !readable) return terminated;
  return std::string(readable.get());
}

}  // namespace ember::native

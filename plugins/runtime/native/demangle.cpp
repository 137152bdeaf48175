#include "demangle.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <memory>

namespace ember::native {

std::string demangle(std::string_view symbol) {
  // Only Itanium names start with _Z; C names and Rust v0 (_R) pass through.
  if (!symbol.starts_with("_Z")) return std::string(symbol);
  std::string terminated(symbol);
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> readable(
      abi::__cxa_demangle(terminated.c_str(), nullptr, nullptr, &status), &std::free);
  if (status != 0 || !readable) return terminated;
  return std::string(readable.get());
}

}  // namespace ember::native

// DWARF lookups' frames as one line of text, for comparing two readers'
// answers and printing them when they differ.
#pragma once

#include <string>
#include <vector>

#include "dwarf_source.hpp"

namespace ember::native {

inline std::string frames_text(const std::vector<SourceFunction>& functions) {
  std::string text;
  for (const SourceFunction& f : functions) {
    text +=
        f.name + (f.inlined ? " (inlined) " : " ") + f.file + ":" + std::to_string(f.line) + "; ";
  }
  return text;
}

}  // namespace ember::native

#include "auxv.hpp"

#include <elf.h>

#include <cstring>
#include <string>

#include "ember/text_file.hpp"

namespace ember {

std::optional<std::uint64_t> auxv_value(std::string_view auxv, std::uint64_t type) {
  std::uint64_t entry[2];
  for (std::size_t at = 0; at + sizeof(entry) <= auxv.size(); at += sizeof(entry)) {
    std::memcpy(entry, auxv.data() + at, sizeof(entry));
    if (entry[0] == AT_NULL) break;
    if (entry[0] == type) return entry[1];
  }
  return std::nullopt;
}

std::optional<std::uint64_t> loader_base(std::uint32_t pid) {
  std::string auxv;
  if (!read_text_file("/proc/" + std::to_string(pid) + "/auxv", auxv) || auxv.empty()) {
    return std::nullopt;
  }
  return auxv_value(auxv, AT_BASE);
}

}  // namespace ember

#include "remote_memory.hpp"

#include <algorithm>
#include <cstring>

namespace ember::jvm {

bool RemoteMemory::c_string(std::uint64_t address, std::string& out, std::size_t max) {
  out.clear();
  char chunk[64];
  while (out.size() < max) {
    // A chunk must not cross a page the string does not reach: the next page
    // may be unmapped.
    std::size_t to_page = 4096 - (address & 4095);
    std::size_t size = std::min({sizeof chunk, to_page, max - out.size()});
    if (!read(address, chunk, size)) return false;
    const void* end = std::memchr(chunk, 0, size);
    if (end) {
      out.append(chunk, static_cast<const char*>(end) - chunk);
      return true;
    }
    out.append(chunk, size);
    address += size;
  }
  return false;
}

}  // namespace ember::jvm

// How much of a file this test process has resident through its mappings.
#pragma once

#include <cctype>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <string>

namespace ember::test {

// Resident KiB of this process' mappings of `path` (/proc/self/smaps).
inline std::size_t resident_kib_of(const std::string& path) {
  std::ifstream smaps("/proc/self/smaps");
  std::string canonical = std::filesystem::canonical(path).string();
  std::string line;
  bool inside = false;
  std::size_t kib = 0;
  while (std::getline(smaps, line)) {
    if (!line.empty() && std::isxdigit(static_cast<unsigned char>(line[0])) &&
        line.find(" ") < line.find(":")) {
      inside = line.size() >= canonical.size() &&
               line.compare(line.size() - canonical.size(), canonical.size(), canonical) == 0;
    } else if (inside && line.rfind("Rss:", 0) == 0) {
      kib += std::stoul(line.substr(4));
    }
  }
  return kib;
}

}  // namespace ember::test

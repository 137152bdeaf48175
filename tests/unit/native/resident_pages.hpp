// How much of a file this test process has resident through its mappings.
#pragma once

#include <cctype>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace ember::test {

// The KiB a `field` of /proc/self/smaps ("Rss:", "Size:") gives this
// process' mappings of `path`.
inline std::size_t smaps_kib_of(const std::string& path, std::string_view field) {
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
    } else if (inside && line.rfind(field, 0) == 0) {
      kib += std::stoul(line.substr(field.size()));
    }
  }
  return kib;
}

// Resident KiB of this process' mappings of `path`.
inline std::size_t resident_kib_of(const std::string& path) { return smaps_kib_of(path, "Rss:"); }

// Mapped KiB of this process' mappings of `path`, resident or not.
inline std::size_t mapped_kib_of(const std::string& path) { return smaps_kib_of(path, "Size:"); }

}  // namespace ember::test

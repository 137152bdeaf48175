// /proc/PID/maps, parsed. Shared by the core (process table) and plugins.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ember/status.hpp"

namespace ember {

struct Mapping {
  std::uint64_t start = 0;
  std::uint64_t end = 0;     // exclusive
  std::uint64_t offset = 0;  // file offset of `start`
  std::uint32_t dev_major = 0;
  std::uint32_t dev_minor = 0;
  std::uint64_t inode = 0;
  bool readable = false;
  bool writable = false;
  bool executable = false;
  bool shared = false;
  std::string path;      // as the process sees it, " (deleted)" removed; may be "[vdso]", ""
  bool deleted = false;  // the file was removed or replaced after mapping

  bool contains(std::uint64_t address) const { return address >= start && address < end; }
  bool operator==(const Mapping&) const = default;
  // A file-backed mapping (not anonymous, not [heap], [stack], [vdso], ...).
  bool is_file() const { return !path.empty() && path.front() == '/'; }
};

// Parses the text of a maps file. Lines that do not parse are an error naming
// the line number; the mappings before it are kept in `out`.
Status parse_proc_maps(std::string_view text, std::vector<Mapping>& out);

// Reads and parses /proc/PID/maps (sorted by address, as the kernel writes it).
Status read_proc_maps(std::uint32_t pid, std::vector<Mapping>& out);

// The mapping containing `address` in a sorted vector, or nullptr.
const Mapping* find_mapping(const std::vector<Mapping>& sorted, std::uint64_t address);

}  // namespace ember

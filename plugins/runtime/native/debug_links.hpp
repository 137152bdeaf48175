// Where an ELF object's debug information is, as the object says: DWARF of
// its own, a .gnu_debuglink naming a separate file, or a .gnu_debugdata
// section (MiniDebugInfo: an xz-compressed ELF with the .symtab that strip
// removed, as Fedora and RHEL ship). DWARF that dwz compressed also names,
// in .gnu_debugaltlink, the alt file holding what it shares with other
// objects' DWARF.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ember/status.hpp"

namespace ember::native {

struct DebugLinks {
  bool has_dwarf = false;       // .debug_info and .debug_line with contents
  bool has_debug_info = false;  // .debug_info with contents (all a dwz alt file needs)
  std::string debuglink;   // file name in .gnu_debuglink, "" when none
  std::uint32_t debuglink_crc = 0;
  std::vector<unsigned char> debugdata;  // .gnu_debugdata as stored (xz)
  std::string altlink;           // the alt file's path in .gnu_debugaltlink, "" when none
  std::string altlink_build_id;  // and its build id, lowercase hex
};

// Reads the sections of the open file `fd` (not closed); `name` is for messages.
Status read_debug_links(int fd, const std::string& name, DebugLinks& out);

}  // namespace ember::native

// Finds an object's separate debug file the way gdb and perf do: by build id
// (<debug dir>/.build-id/ab/cdef....debug), then by .gnu_debuglink (next to
// the object, in its .debug/ directory, under <debug dir>/<object's dir>/).
// Inside the process' own root (its mount namespace) first, then the host's.
// A candidate counts only if it is the object's: the same build id, or the
// CRC the debuglink records when the object has no build id.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "alt_debug_file.hpp"
#include "ember/elf_function_table.hpp"
#include "mapped_file.hpp"

namespace ember::native {

struct DebugFileQuery {
  std::vector<std::string> roots;       // "/proc/PID/root", then "" (the host)
  std::vector<std::string> debug_dirs;  // "/usr/lib/debug"
  std::string build_id;                 // of the object, lowercase hex
  std::string object_path;              // as the process names it
  FileIdentity object;                  // never its own debug file
  std::string debuglink;
  std::uint32_t debuglink_crc = 0;
};

struct DebugFile {
  std::string path;
  FileIdentity identity;
  ElfFunctionTable symbols;  // its .symtab (functions)
  bool has_dwarf = false;  // a debug file may hold symbols only
  AltDebugFile alt;        // when dwz compressed its DWARF (not looked for here)
};

// Every path looked at, in order.
std::vector<std::string> debug_file_candidates(const DebugFileQuery& query);

// The first candidate that is the object's debug file; false when none is.
bool find_debug_file(const DebugFileQuery& query, DebugFile& out);

// The debug file at `path` (one fetched by build id), if it is the one of
// `build_id`; false with `error` saying why not.
bool open_debug_file(const std::string& path, const std::string& build_id, DebugFile& out,
                     std::string& error);

}  // namespace ember::native

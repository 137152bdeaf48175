// The alt file of DWARF that dwz compressed, as in many of Debian's -dbgsym
// packages: the debug file names it in .gnu_debugaltlink (a path and the
// alt file's build id) and points into it for what it shares with the
// package's other debug files: strings, the abstract functions its inlined
// calls name, types. The native plugin finds it (at that path, under the
// debug dirs' .build-id trees, inside the process' root too), or has it
// fetched by build id from debuginfod, and opens it with the debug file
// (DwarfSource::open).
#pragma once

#include <string>
#include <vector>

#include "debug_links.hpp"
#include "mapped_file.hpp"

namespace ember::native {

struct AltDebugFile {
  std::string name;      // the path the link records
  std::string build_id;  // lowercase hex; "": the DWARF has no alt file
  std::string path;      // where it was found; "" until then
  FileIdentity identity;

  bool wanted() const { return !build_id.empty(); }
  bool found() const { return !path.empty(); }
};

// The alt file `links` name (not yet found).
AltDebugFile linked_alt_file(const DebugLinks& links);

// Every path looked at for the alt file of the DWARF at `dwarf_path`, in
// order: the link's path (inside each root when absolute, else beside the
// DWARF's file), then <root><debug dir>/.build-id/xx/yyyy.debug for each
// debug dir and /usr/lib/debug, where distributions install alt files.
std::vector<std::string> alt_file_candidates(const std::string& dwarf_path,
                                             const std::vector<std::string>& roots,
                                             const std::vector<std::string>& debug_dirs,
                                             const AltDebugFile& alt);

// Sets `alt`'s path and identity to the first candidate that is the alt
// file (its build id); false when none is.
bool find_alt_file(const std::string& dwarf_path, const std::vector<std::string>& roots,
                   const std::vector<std::string>& debug_dirs, AltDebugFile& alt);

// Sets `alt`'s path and identity to `path` (a file fetched by the alt's
// build id) if it is the alt file: ELF, with DWARF, of that build id; false
// with `error` saying why not.
bool open_alt_file(const std::string& path, AltDebugFile& alt, std::string& error);

}  // namespace ember::native

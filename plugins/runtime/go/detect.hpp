// Is this ELF object Go code, and where are its tables?
//
// A Go binary (executable, static or not, PIE or not, or a c-shared library)
// carries its pclntab even when stripped with -ldflags="-s -w". Found by:
//   1. the section .gopclntab (.data.rel.ro.gopclntab in internally linked PIE
//      builds), when section headers are left;
//   2. else, when the file has no section headers or still has Go's
//      .go.buildinfo / .note.go.buildid (an external link, as c-shared
//      builds are, merges the table into .data.rel.ro), a scan of its
//      non-executable PT_LOAD bytes for a header magic (pclntab.hpp) whose
//      table parses.
// The Go version comes from .go.buildinfo (section, else the
// "\xff Go buildinf:" blob at a 16-byte boundary): runtime.buildVersion, a
// Go string the blob points at (or inlines, since Go 1.18's format).
// Go 1.18+ inline trees live at offsets from moduledata.gofunc, which is
// found as the moduledata whose first word points at the pclntab and whose
// funcnametab slice matches the header's (moduledata has no symbol left).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "elf_view.hpp"
#include "ember/status.hpp"
#include "pclntab.hpp"

namespace ember::go {

struct GoBinary {
  bool is_go = false;
  std::string version;  // "go1.19.8"; empty when the build info was not found
  bool inline_trees = false;  // inlined calls can be expanded
  std::string inline_trees_missing;  // why not, when they cannot
  std::uint64_t pclntab_vaddr = 0;
  // The file, mapped, and the table parsed over its bytes (kept together:
  // the table points into the mapping).
  ElfView file;
  Pclntab table;
};

// Ok with is_go=false for a file without a pclntab. An error (is_go still
// set) when a pclntab is there but unusable: a corrupt table, a version not
// read (Go 1.2-1.15, big-endian).
Status detect(ElfView file, GoBinary& out);
Status detect(const std::string& path, GoBinary& out);

}  // namespace ember::go

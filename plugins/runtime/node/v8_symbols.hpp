// Reads a binary's V8 postmortem metadata: the values of its `v8dbg_*`
// symbols and of v8::internal::Version's major_/minor_/build_/patch_, all
// ints in .data (or .bss, then 0), exported in .dynsym by node binaries
// (and kept in .symtab by unstripped ones). One pass over the symbol tables;
// a file that is not ELF, or has no such symbols, gives an empty map.
#pragma once

#include <string>

#include "ember/status.hpp"
#include "v8_layout.hpp"

namespace ember::node {

Status read_v8_symbols(const std::string& path, V8Symbols& out);

}  // namespace ember::node

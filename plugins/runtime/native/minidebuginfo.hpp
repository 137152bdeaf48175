// .gnu_debugdata (MiniDebugInfo): an xz-compressed ELF image whose .symtab
// holds the functions strip removed (gdb's "MiniDebugInfo", Fedora's default).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "ember/elf_function_table.hpp"
#include "ember/status.hpp"

namespace ember::native {

// xz data to bytes, refusing output beyond `limit` (a bomb, not symbols).
Status decompress_xz(std::span<const unsigned char> input, std::size_t limit,
                     std::vector<unsigned char>& out);

// The functions of the ELF inside `debugdata`; `name` is for messages.
Status read_minidebuginfo(std::span<const unsigned char> debugdata, const std::string& name,
                          ElfFunctionTable& out);

}  // namespace ember::native

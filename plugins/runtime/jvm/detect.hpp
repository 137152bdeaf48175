// Is this ELF object HotSpot's libjvm.so? Only a file named libjvm.so is
// read (every object a process maps is offered to the probe): it is HotSpot
// when it exports the vmStructs tables and their layout globals
// (vm_structs.hpp), whose link-time addresses and the file's load segments
// are all the plugin keeps of it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ember/elf_file.hpp"
#include "ember/proc_maps.hpp"
#include "ember/status.hpp"
#include "vm_structs.hpp"

namespace ember::jvm {

struct LibJvm {
  VmStructsSymbols symbols;
  std::vector<ElfLoadSegment> segments;
  // runtime address - link-time address for the mapping of this file at
  // `start` mapping file offset `offset`; nullopt when no segment holds it.
  std::optional<std::uint64_t> bias(std::uint64_t start, std::uint64_t offset) const;
};

bool is_libjvm_name(std::string_view path);

// Ok with `found` false for another file; an error for a libjvm.so without
// the tables (a VM built without the Serviceability Agent's structs).
Status detect(const std::string& open_path, LibJvm& out, bool& found);

// libjvm.so's load bias in a process, from its mappings of `path`.
std::optional<std::uint64_t> libjvm_bias(const LibJvm& jvm, const std::vector<Mapping>& mappings,
                                         const std::string& path);

}  // namespace ember::jvm

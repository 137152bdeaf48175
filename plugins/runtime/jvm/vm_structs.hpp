// HotSpot's own description of its data structures, the tables it exports
// for the Serviceability Agent: gHotSpotVMStructs (per field of a type: its
// offset, or for a static field its address) and gHotSpotVMTypes (per type:
// its size). Their entries' layout is itself described by exported globals
// (gHotSpotVMStructEntryTypeNameOffset, ...ArrayStride, ...), so nothing here
// depends on a JDK version; an entry whose type name is NULL ends a table.
// Read from the live process: the table pointers are data of libjvm.so and
// the layout globals are set when it loads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "ember/status.hpp"
#include "remote_memory.hpp"

namespace ember::jvm {

// Link-time addresses (in libjvm.so) of the exported globals the tables are
// read through.
struct VmStructsSymbols {
  std::uint64_t structs = 0;  // gHotSpotVMStructs: a pointer to the first entry
  std::uint64_t struct_stride = 0;
  std::uint64_t struct_type_name = 0;
  std::uint64_t struct_field_name = 0;
  std::uint64_t struct_is_static = 0;
  std::uint64_t struct_offset = 0;
  std::uint64_t struct_address = 0;
  std::uint64_t types = 0;  // gHotSpotVMTypes
  std::uint64_t type_stride = 0;
  std::uint64_t type_type_name = 0;
  std::uint64_t type_size = 0;
};

// The symbol names, in the order of VmStructsSymbols' fields.
inline constexpr std::string_view kVmStructsSymbolNames[] = {
    "gHotSpotVMStructs",
    "gHotSpotVMStructEntryArrayStride",
    "gHotSpotVMStructEntryTypeNameOffset",
    "gHotSpotVMStructEntryFieldNameOffset",
    "gHotSpotVMStructEntryIsStaticOffset",
    "gHotSpotVMStructEntryOffsetOffset",
    "gHotSpotVMStructEntryAddressOffset",
    "gHotSpotVMTypes",
    "gHotSpotVMTypeEntryArrayStride",
    "gHotSpotVMTypeEntryTypeNameOffset",
    "gHotSpotVMTypeEntrySizeOffset",
};
std::uint64_t& symbol_slot(VmStructsSymbols& symbols, std::size_t index);

class VmStructs {
 public:
  // Reads both tables of a libjvm.so loaded with `bias` (runtime - link-time
  // address). An error when a table is unreadable or not yet set up.
  static Status read(RemoteMemory& memory, const VmStructsSymbols& symbols, std::uint64_t bias,
                     VmStructs& out);

  // The offset of an instance field ("CodeBlob", "_frame_size").
  std::optional<std::uint64_t> offset(std::string_view type, std::string_view field) const;
  // The address of a static field ("CodeCache", "_heaps").
  std::optional<std::uint64_t> address(std::string_view type, std::string_view field) const;
  // sizeof(type).
  std::optional<std::uint64_t> size(std::string_view type) const;

  std::size_t field_count() const { return offsets_.size() + addresses_.size(); }
  std::size_t type_count() const { return sizes_.size(); }

 private:
  static std::string key(std::string_view type, std::string_view field);
  Status read_structs(RemoteMemory& memory, const VmStructsSymbols& symbols, std::uint64_t bias);
  Status read_types(RemoteMemory& memory, const VmStructsSymbols& symbols, std::uint64_t bias);

  std::unordered_map<std::string, std::uint64_t> offsets_;
  std::unordered_map<std::string, std::uint64_t> addresses_;
  std::unordered_map<std::string, std::uint64_t> sizes_;
};

}  // namespace ember::jvm

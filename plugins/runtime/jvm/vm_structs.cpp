#include "vm_structs.hpp"

#include <cstdio>
#include <cstring>
#include <iterator>
#include <vector>

namespace ember::jvm {
namespace {

// Far more than any JDK has (17: 1,400 fields, 600 types): a table read
// through a wrong pointer stops here instead of running on.
constexpr std::size_t kMaxEntries = 20000;
constexpr std::uint64_t kMaxStride = 256;

std::string hex(std::uint64_t value) {
  char text[19];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

struct Layout {
  std::uint64_t table = 0;  // the first entry
  std::uint64_t stride = 0;
};

// Reads the table pointer and the stride; each field offset named in
// `fields` must fit in the stride.
Status read_layout(RemoteMemory& memory, const char* what, std::uint64_t table_symbol,
                   std::uint64_t stride_symbol, std::uint64_t bias, Layout& out) {
  if (!memory.value(table_symbol + bias, out.table) ||
      !memory.value(stride_symbol + bias, out.stride)) {
    return Status::error(std::string("cannot read the ") + what + " table's location");
  }
  if (out.table == 0 || out.stride == 0 || out.stride > kMaxStride) {
    return Status::error(std::string("the ") + what + " table is not set up (at " +
                         hex(out.table) + ", stride " + std::to_string(out.stride) + ")");
  }
  return Status::ok();
}

bool field_offset(RemoteMemory& memory, std::uint64_t symbol, std::uint64_t bias,
                  std::uint64_t stride, std::size_t width, std::uint64_t& out) {
  return memory.value(symbol + bias, out) && out <= stride && width <= stride - out;
}

template <typename T>
T field(const std::vector<unsigned char>& entry, std::uint64_t offset) {
  T value;
  std::memcpy(&value, entry.data() + offset, sizeof value);
  return value;
}

}  // namespace

std::uint64_t& symbol_slot(VmStructsSymbols& s, std::size_t index) {
  std::uint64_t* slots[] = {&s.structs,          &s.struct_stride,    &s.struct_type_name,
                            &s.struct_field_name, &s.struct_is_static, &s.struct_offset,
                            &s.struct_address,   &s.types,            &s.type_stride,
                            &s.type_type_name,   &s.type_size};
  static_assert(std::size(kVmStructsSymbolNames) == 11);
  return *slots[index];
}

std::string VmStructs::key(std::string_view type, std::string_view field) {
  std::string k(type);
  k += "::";
  k += field;
  return k;
}

Status VmStructs::read(RemoteMemory& memory, const VmStructsSymbols& symbols, std::uint64_t bias,
                       VmStructs& out) {
  out = VmStructs{};
  if (Status status = out.read_structs(memory, symbols, bias); !status) return status;
  return out.read_types(memory, symbols, bias);
}

Status VmStructs::read_structs(RemoteMemory& memory, const VmStructsSymbols& s,
                               std::uint64_t bias) {
  Layout layout;
  if (Status status = read_layout(memory, "gHotSpotVMStructs", s.structs, s.struct_stride, bias,
                                  layout);
      !status) {
    return status;
  }
  std::uint64_t type_name = 0, field_name = 0, is_static = 0, offset = 0, address = 0;
  if (!field_offset(memory, s.struct_type_name, bias, layout.stride, 8, type_name) ||
      !field_offset(memory, s.struct_field_name, bias, layout.stride, 8, field_name) ||
      !field_offset(memory, s.struct_is_static, bias, layout.stride, 4, is_static) ||
      !field_offset(memory, s.struct_offset, bias, layout.stride, 8, offset) ||
      !field_offset(memory, s.struct_address, bias, layout.stride, 8, address)) {
    return Status::error("the gHotSpotVMStructs entry layout is unreadable or out of bounds");
  }
  std::vector<unsigned char> entry(layout.stride);
  std::string type, name;
  for (std::size_t i = 0;; ++i) {
    if (i == kMaxEntries) return Status::error("gHotSpotVMStructs has no end");
    if (!memory.read(layout.table + i * layout.stride, entry.data(), entry.size())) {
      return Status::error("cannot read gHotSpotVMStructs entry " + std::to_string(i));
    }
    std::uint64_t type_at = field<std::uint64_t>(entry, type_name);
    if (type_at == 0) break;
    std::uint64_t name_at = field<std::uint64_t>(entry, field_name);
    if (name_at == 0 || !memory.c_string(type_at, type) || !memory.c_string(name_at, name)) {
      continue;  // an entry without a readable name is of no use, not an error
    }
    if (field<std::int32_t>(entry, is_static) != 0) {
      addresses_[key(type, name)] = field<std::uint64_t>(entry, address);
    } else {
      offsets_[key(type, name)] = field<std::uint64_t>(entry, offset);
    }
  }
  return Status::ok();
}

Status VmStructs::read_types(RemoteMemory& memory, const VmStructsSymbols& s, std::uint64_t bias) {
  Layout layout;
  if (Status status =
          read_layout(memory, "gHotSpotVMTypes", s.types, s.type_stride, bias, layout);
      !status) {
    return status;
  }
  std::uint64_t type_name = 0, size = 0;
  if (!field_offset(memory, s.type_type_name, bias, layout.stride, 8, type_name) ||
      !field_offset(memory, s.type_size, bias, layout.stride, 8, size)) {
    return Status::error("the gHotSpotVMTypes entry layout is unreadable or out of bounds");
  }
  std::vector<unsigned char> entry(layout.stride);
  std::string type;
  for (std::size_t i = 0;; ++i) {
    if (i == kMaxEntries) return Status::error("gHotSpotVMTypes has no end");
    if (!memory.read(layout.table + i * layout.stride, entry.data(), entry.size())) {
      return Status::error("cannot read gHotSpotVMTypes entry " + std::to_string(i));
    }
    std::uint64_t type_at = field<std::uint64_t>(entry, type_name);
    if (type_at == 0) break;
    if (!memory.c_string(type_at, type)) continue;
    sizes_[type] = field<std::uint64_t>(entry, size);
  }
  return Status::ok();
}

std::optional<std::uint64_t> VmStructs::offset(std::string_view type,
                                               std::string_view field) const {
  auto it = offsets_.find(key(type, field));
  if (it == offsets_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::uint64_t> VmStructs::address(std::string_view type,
                                                std::string_view field) const {
  auto it = addresses_.find(key(type, field));
  if (it == addresses_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::uint64_t> VmStructs::size(std::string_view type) const {
  auto it = sizes_.find(std::string(type));
  if (it == sizes_.end()) return std::nullopt;
  return it->second;
}

}  // namespace ember::jvm

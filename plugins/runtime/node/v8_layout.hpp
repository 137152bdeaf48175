// V8's object and frame layout, as a node binary describes it in its
// postmortem metadata: the `v8dbg_*` int symbols V8 exports for debuggers
// (tools/gen-postmortem-metadata.py in V8; llnode reads the same). Their
// names carry the class, field and type ("class_JSFunction__shared__
// SharedFunctionInfo" is the offset of JSFunction::shared), their values
// the offsets, tags and instance types of this very build, so nothing here
// is written per V8 version except what the metadata lacks (noted where
// used).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "ember/status.hpp"

namespace ember::node {

// The symbols' values by name without the "v8dbg_" prefix, plus the V8
// version from v8::internal::Version ("version_major", "version_minor",
// "version_build", "version_patch").
using V8Symbols = std::unordered_map<std::string, std::int64_t>;

struct V8Version {
  int major = 0;
  int minor = 0;
  int build = 0;
  int patch = 0;
  std::string to_string() const;
};

struct V8Layout {
  V8Version version;

  // Tagged values (64-bit, no pointer compression).
  std::uint32_t heap_object_tag = 1;
  std::uint32_t heap_object_tag_mask = 3;
  std::uint32_t smi_shift = 32;  // a Smi's value is the word >> smi_shift

  // Frame slots, from the frame pointer.
  std::int32_t fp_function = 0;
  std::int32_t fp_bytecode_array = 0;
  std::int32_t fp_bytecode_offset = 0;

  // Field offsets from an object's start (the tagged pointer minus the tag).
  std::uint32_t heap_object_map = 0;
  std::uint32_t map_instance_type = 0;
  std::uint32_t js_function_shared = 0;
  std::uint32_t sfi_name_or_scope_info = 0;
  std::uint32_t sfi_script_or_debug_info = 0;
  std::uint32_t sfi_function_data = 0;
  std::uint32_t script_name = 0;
  std::uint32_t script_source = 0;
  std::uint32_t script_line_ends = 0;
  std::uint32_t fixed_array_length = 0;
  std::uint32_t fixed_array_data = 0;
  std::uint32_t string_length = 0;
  std::uint32_t seq_string_chars = 0;
  std::uint32_t cons_string_first = 0;
  std::uint32_t cons_string_second = 0;
  std::uint32_t thin_string_actual = 0;
  std::uint32_t sliced_string_parent = 0;
  std::uint32_t sliced_string_offset = 0;
  std::uint32_t scope_info_first_vars = 0;     // slot index
  std::uint32_t scope_info_context_locals = 0; // slot index of the count

  // Instance types.
  std::uint16_t type_js_function_first = 0;
  std::uint16_t type_js_function_last = 0;
  std::uint16_t type_shared_function_info = 0;
  std::uint16_t type_bytecode_array = 0;
  std::uint16_t type_scope_info = 0;
  std::uint16_t type_script = 0;
  std::uint16_t type_fixed_array = 0;
  std::uint16_t first_nonstring_type = 0;

  // String instance type bits.
  std::uint32_t string_encoding_mask = 0;
  std::uint32_t one_byte_string_tag = 0;
  std::uint32_t string_representation_mask = 0;
  std::uint32_t seq_string_tag = 0;
  std::uint32_t cons_string_tag = 0;
  std::uint32_t sliced_string_tag = 0;
  std::uint32_t thin_string_tag = 0;
  std::uint32_t external_string_tag = 0;
};

// The layout from a binary's symbols. An error naming what is missing or
// unsupported (pointer compression, a version before 9.6) when the walker
// cannot use it.
Status parse_v8_layout(const V8Symbols& symbols, V8Layout& out);

}  // namespace ember::node

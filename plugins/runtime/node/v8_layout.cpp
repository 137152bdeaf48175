#include "v8_layout.hpp"

#include <limits>

namespace ember::node {
namespace {

// Reads named values into fields, remembering the names it did not find.
class Reader {
 public:
  explicit Reader(const V8Symbols& symbols) : symbols_(symbols) {}

  template <typename T>
  void get(const char* name, T& field) {
    auto it = symbols_.find(name);
    if (it == symbols_.end()) {
      missing_ += missing_.empty() ? name : std::string(", ") + name;
      return;
    }
    if (it->second < std::numeric_limits<T>::min() || it->second > std::numeric_limits<T>::max()) {
      missing_ += (missing_.empty() ? "" : ", ") + std::string(name) + " (out of range)";
      return;
    }
    field = static_cast<T>(it->second);
  }

  const std::string& missing() const { return missing_; }

 private:
  const V8Symbols& symbols_;
  std::string missing_;
};

bool at_least(const V8Version& v, int major, int minor, int build) {
  if (v.major != major) return v.major > major;
  if (v.minor != minor) return v.minor > minor;
  return v.build >= build;
}

}  // namespace

std::string V8Version::to_string() const {
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(build) + "." +
         std::to_string(patch);
}

Status parse_v8_layout(const V8Symbols& symbols, V8Layout& out) {
  Reader r(symbols);
  V8Layout l;
  r.get("version_major", l.version.major);
  r.get("version_minor", l.version.minor);
  r.get("version_build", l.version.build);
  r.get("version_patch", l.version.patch);

  std::int32_t smi_shift_size = 0;
  r.get("HeapObjectTag", l.heap_object_tag);
  r.get("HeapObjectTagMask", l.heap_object_tag_mask);
  r.get("SmiShiftSize", smi_shift_size);

  r.get("off_fp_function", l.fp_function);
  r.get("off_fp_bytecode_array", l.fp_bytecode_array);
  r.get("off_fp_bytecode_offset", l.fp_bytecode_offset);

  r.get("class_HeapObject__map__Map", l.heap_object_map);
  r.get("class_Map__instance_type__uint16_t", l.map_instance_type);
  r.get("class_JSFunction__shared__SharedFunctionInfo", l.js_function_shared);
  r.get("class_SharedFunctionInfo__name_or_scope_info__Object", l.sfi_name_or_scope_info);
  r.get("class_SharedFunctionInfo__script_or_debug_info__HeapObject", l.sfi_script_or_debug_info);
  r.get("class_SharedFunctionInfo__function_data__Object", l.sfi_function_data);
  r.get("class_Script__name__Object", l.script_name);
  r.get("class_Script__source__Object", l.script_source);
  r.get("class_Script__line_ends__Object", l.script_line_ends);
  r.get("class_FixedArrayBase__length__SMI", l.fixed_array_length);
  r.get("class_FixedArray__data__uintptr_t", l.fixed_array_data);
  r.get("class_String__length__int32_t", l.string_length);
  r.get("class_SeqOneByteString__chars__char", l.seq_string_chars);
  r.get("class_ConsString__first__String", l.cons_string_first);
  r.get("class_ConsString__second__String", l.cons_string_second);
  r.get("class_ThinString__actual__String", l.thin_string_actual);
  r.get("class_SlicedString__parent__String", l.sliced_string_parent);
  r.get("class_SlicedString__offset__SMI", l.sliced_string_offset);
  r.get("scopeinfo_idx_first_vars", l.scope_info_first_vars);
  r.get("scopeinfo_idx_ncontextlocals", l.scope_info_context_locals);

  r.get("type_JSFunction__JS_FUNCTION_TYPE", l.type_js_function_first);
  r.get("type_SharedFunctionInfo__SHARED_FUNCTION_INFO_TYPE", l.type_shared_function_info);
  r.get("type_BytecodeArray__BYTECODE_ARRAY_TYPE", l.type_bytecode_array);
  r.get("type_ScopeInfo__SCOPE_INFO_TYPE", l.type_scope_info);
  r.get("type_Script__SCRIPT_TYPE", l.type_script);
  r.get("type_FixedArray__FIXED_ARRAY_TYPE", l.type_fixed_array);
  r.get("FirstNonstringType", l.first_nonstring_type);

  r.get("StringEncodingMask", l.string_encoding_mask);
  r.get("OneByteStringTag", l.one_byte_string_tag);
  r.get("StringRepresentationMask", l.string_representation_mask);
  r.get("SeqStringTag", l.seq_string_tag);
  r.get("ConsStringTag", l.cons_string_tag);
  r.get("SlicedStringTag", l.sliced_string_tag);
  r.get("ThinStringTag", l.thin_string_tag);
  r.get("ExternalStringTag", l.external_string_tag);

  if (!r.missing().empty()) {
    return Status::error("V8 postmortem metadata lacks " + r.missing());
  }
  // Full 64-bit Smis (value in the upper half) are what the frame walker
  // reads; pointer-compressed builds keep 31-bit Smis and 32-bit fields.
  if (smi_shift_size != 31) {
    return Status::error("V8 " + l.version.to_string() +
                         " is built with pointer compression (SmiShiftSize " +
                         std::to_string(smi_shift_size) + "), which the walker does not read");
  }
  l.smi_shift = 32;
  if (l.heap_object_tag_mask == 0 || (l.heap_object_tag & ~l.heap_object_tag_mask) != 0) {
    return Status::error("V8 heap object tag " + std::to_string(l.heap_object_tag) +
                         " does not fit its mask " + std::to_string(l.heap_object_tag_mask));
  }
  // JSFunction has subclasses since V8 9.0 (class, promise, array
  // constructors...), each its own instance type: 15 in a row from
  // JS_FUNCTION_TYPE since 9.6.138 (v8 1cd7a58). The metadata names only
  // the first. Older layouts are not tested.
  if (!at_least(l.version, 9, 6, 138)) {
    return Status::error("V8 " + l.version.to_string() + " is older than 9.6 (Node.js 18)");
  }
  l.type_js_function_last = static_cast<std::uint16_t>(l.type_js_function_first + 14);
  if (l.fp_function >= 0 || l.fp_bytecode_array >= 0 || l.fp_bytecode_offset >= 0) {
    return Status::error("V8 frame slots are not below the frame pointer");
  }
  out = l;
  return Status::ok();
}

}  // namespace ember::node

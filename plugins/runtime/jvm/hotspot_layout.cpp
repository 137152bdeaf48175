#include "hotspot_layout.hpp"

#include <algorithm>
#include <initializer_list>
#include <string_view>
#include <utility>

namespace ember::jvm {
namespace {

using Name = std::pair<std::string_view, std::string_view>;  // type, field

// Collects the first missing name, so the error names it.
class Resolver {
 public:
  explicit Resolver(const VmStructs& vm) : vm_(vm) {}

  void offset(std::uint64_t& out, std::initializer_list<Name> names) {
    for (const Name& name : names) {
      if (auto value = vm_.offset(name.first, name.second)) {
        out = *value;
        return;
      }
    }
    missing(*names.begin());
  }
  void address(std::uint64_t& out, Name name, bool required = true) {
    if (auto value = vm_.address(name.first, name.second)) {
      out = *value;
    } else if (required) {
      missing(name);
    }
  }
  void size(std::uint64_t& out, std::string_view type) {
    if (auto value = vm_.size(type)) {
      out = *value;
    } else if (missing_.empty()) {
      missing_ = "sizeof(" + std::string(type) + ")";
    }
  }
  Status status() const {
    if (missing_.empty()) return Status::ok();
    return Status::error("this HotSpot VM does not describe " + missing_ +
                         " in its vmStructs");
  }

 private:
  void missing(Name name) {
    if (missing_.empty()) missing_ = std::string(name.first) + "::" + std::string(name.second);
  }
  const VmStructs& vm_;
  std::string missing_;
};

}  // namespace

std::uint64_t HotSpotLayout::blob_header_bytes() const {
  std::uint64_t bytes = std::max({blob_name + 8, blob_size + 4, blob_frame_complete_offset + 4,
                                  blob_frame_size + 4, blob_code_begin + 8, blob_code_end + 8,
                                  nmethod_method + 8, nmethod_compile_id + 4});
  if (!has_scopes) return bytes;
  return std::max({bytes, nmethod_scopes_pcs_offset + 4, nmethod_dependencies_offset + 4,
                   nmethod_metadata_offset + 4, nmethod_scopes_data_begin + 8});
}

Status HotSpotLayout::from(const VmStructs& vm, HotSpotLayout& out) {
  out = HotSpotLayout{};
  Resolver r(vm);
  r.address(out.code_cache_heaps, {"CodeCache", "_heaps"});
  r.address(out.code_cache_low_bound, {"CodeCache", "_low_bound"}, false);
  r.address(out.code_cache_high_bound, {"CodeCache", "_high_bound"}, false);
  // GrowableArrayBase since JDK 16, GenericGrowableArray before.
  r.offset(out.growable_array_len,
           {{"GrowableArrayBase", "_len"}, {"GenericGrowableArray", "_len"}});
  r.offset(out.growable_array_data, {{"GrowableArray<int>", "_data"}});
  r.offset(out.code_heap_memory, {{"CodeHeap", "_memory"}});
  r.offset(out.code_heap_segmap, {{"CodeHeap", "_segmap"}});
  r.offset(out.code_heap_log2_segment_size, {{"CodeHeap", "_log2_segment_size"}});
  r.offset(out.virtual_space_low_boundary, {{"VirtualSpace", "_low_boundary"}});
  r.offset(out.virtual_space_high_boundary, {{"VirtualSpace", "_high_boundary"}});
  r.size(out.heap_block_size, "HeapBlock");
  std::uint64_t header = 0, used = 0;
  r.offset(header, {{"HeapBlock", "_header"}});
  r.offset(used, {{"HeapBlock::Header", "_used"}});
  out.heap_block_used = header + used;
  r.offset(out.blob_name, {{"CodeBlob", "_name"}});
  r.offset(out.blob_size, {{"CodeBlob", "_size"}});
  r.offset(out.blob_frame_complete_offset, {{"CodeBlob", "_frame_complete_offset"}});
  r.offset(out.blob_frame_size, {{"CodeBlob", "_frame_size"}});
  r.offset(out.blob_code_begin, {{"CodeBlob", "_code_begin"}});
  r.offset(out.blob_code_end, {{"CodeBlob", "_code_end"}});
  r.offset(out.nmethod_method, {{"nmethod", "_method"}, {"CompiledMethod", "_method"}});
  r.offset(out.nmethod_compile_id, {{"nmethod", "_compile_id"}});
  r.offset(out.method_const_method, {{"Method", "_constMethod"}});
  r.offset(out.const_method_constants, {{"ConstMethod", "_constants"}});
  r.offset(out.const_method_name_index, {{"ConstMethod", "_name_index"}});
  r.offset(out.const_method_signature_index, {{"ConstMethod", "_signature_index"}});
  // JDK 21 made ConstMethod::_flags a struct with a _flags of its own.
  r.offset(out.const_method_flags, {{"ConstMethod", "_flags"}, {"ConstMethod", "_flags._flags"}});
  r.offset(out.const_method_code_size, {{"ConstMethod", "_code_size"}});
  r.size(out.const_method_size, "ConstMethod");
  r.size(out.constant_pool_size, "ConstantPool");
  r.offset(out.constant_pool_holder, {{"ConstantPool", "_pool_holder"}});
  r.offset(out.constant_pool_source_file_index, {{"ConstantPool", "_source_file_name_index"}});
  r.offset(out.klass_name, {{"Klass", "_name"}});
  r.offset(out.symbol_length, {{"Symbol", "_length"}});
  r.offset(out.symbol_body, {{"Symbol", "_body"}});
  r.address(out.vm_major_version, {"Abstract_VM_Version", "_vm_major_version"}, false);
  r.address(out.vm_release, {"Abstract_VM_Version", "_s_vm_release"}, false);
  if (Status status = r.status(); !status) return status;

  Resolver scopes(vm);
  scopes.offset(out.nmethod_scopes_pcs_offset, {{"nmethod", "_scopes_pcs_offset"}});
  scopes.offset(out.nmethod_dependencies_offset, {{"nmethod", "_dependencies_offset"}});
  scopes.offset(out.nmethod_metadata_offset, {{"nmethod", "_metadata_offset"}});
  scopes.offset(out.nmethod_scopes_data_begin,
                {{"nmethod", "_scopes_data_begin"}, {"CompiledMethod", "_scopes_data_begin"}});
  scopes.size(out.pc_desc_size, "PcDesc");
  scopes.offset(out.pc_desc_pc_offset, {{"PcDesc", "_pc_offset"}});
  scopes.offset(out.pc_desc_scope_decode_offset, {{"PcDesc", "_scope_decode_offset"}});
  Resolver epoch(vm);
  epoch.address(out.universe_collected_heap, {"Universe", "_collectedHeap"});
  epoch.offset(out.collected_heap_total_collections, {{"CollectedHeap", "_total_collections"}});
  epoch.address(out.class_loader_data_graph_head, {"ClassLoaderDataGraph", "_head"});
  out.has_unload_epoch = epoch.status().is_ok();
  // Both PcDesc fields are ints inside a PcDesc: a table saying otherwise is
  // not believed.
  out.has_scopes = scopes.status().is_ok() && out.pc_desc_size <= 256 &&
                   out.pc_desc_pc_offset + 4 <= out.pc_desc_size &&
                   out.pc_desc_scope_decode_offset + 4 <= out.pc_desc_size;
  return Status::ok();
}

}  // namespace ember::jvm

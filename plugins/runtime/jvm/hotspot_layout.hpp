// The offsets, sizes and static addresses the JVM plugin needs, taken from
// one VM's vmStructs (vm_structs.hpp) by name: no table per JDK. Where a
// field moved between JDKs, every known name is tried (nmethod::_method was
// CompiledMethod::_method before JDK 23). A VM that lacks one is refused
// with the missing field named.
#pragma once

#include <cstdint>
#include <string>

#include "ember/status.hpp"
#include "vm_structs.hpp"

namespace ember::jvm {

struct HotSpotLayout {
  // CodeCache: a GrowableArray<CodeHeap*>* (static field's address).
  std::uint64_t code_cache_heaps = 0;
  // CodeCache::_low_bound and _high_bound (static addresses; 0 when not
  // exported): the space reserved for every heap, set before the first is added.
  std::uint64_t code_cache_low_bound = 0;
  std::uint64_t code_cache_high_bound = 0;
  std::uint64_t growable_array_len = 0;
  std::uint64_t growable_array_data = 0;
  // CodeHeap: its code (_memory) and segment map (_segmap), both VirtualSpace.
  std::uint64_t code_heap_memory = 0;
  std::uint64_t code_heap_segmap = 0;
  std::uint64_t code_heap_log2_segment_size = 0;
  std::uint64_t virtual_space_low_boundary = 0;
  std::uint64_t virtual_space_high_boundary = 0;
  // HeapBlock: the header before each blob.
  std::uint64_t heap_block_size = 0;
  std::uint64_t heap_block_used = 0;
  // CodeBlob.
  std::uint64_t blob_name = 0;
  std::uint64_t blob_size = 0;
  std::uint64_t blob_frame_complete_offset = 0;
  std::uint64_t blob_frame_size = 0;
  std::uint64_t blob_code_begin = 0;
  std::uint64_t blob_code_end = 0;
  // nmethod.
  std::uint64_t nmethod_method = 0;
  std::uint64_t nmethod_compile_id = 0;
  // Method -> ConstMethod -> ConstantPool -> holder's name; names are
  // Symbols indexed in the pool.
  std::uint64_t method_const_method = 0;
  std::uint64_t const_method_constants = 0;
  std::uint64_t const_method_name_index = 0;
  std::uint64_t const_method_signature_index = 0;
  std::uint64_t const_method_flags = 0;      // bit 0: has a line number table
  std::uint64_t const_method_code_size = 0;  // the bytecodes follow the ConstMethod
  std::uint64_t const_method_size = 0;
  std::uint64_t constant_pool_size = 0;  // the pool's entries follow it
  std::uint64_t constant_pool_holder = 0;
  std::uint64_t constant_pool_source_file_index = 0;
  std::uint64_t klass_name = 0;
  std::uint64_t symbol_length = 0;
  std::uint64_t symbol_body = 0;
  // An nmethod's scopes, for its inlined calls and lines (has_scopes false
  // when the VM does not describe them: compiled frames are then named by
  // their nmethod's method alone). PcDescs lie between the scopes_pcs and
  // dependencies offsets (from the nmethod), the Method*s its scopes index
  // from the metadata offset, the scope records at scopes_data_begin.
  bool has_scopes = false;
  std::uint64_t nmethod_scopes_pcs_offset = 0;
  std::uint64_t nmethod_dependencies_offset = 0;
  std::uint64_t nmethod_metadata_offset = 0;
  std::uint64_t nmethod_scopes_data_begin = 0;
  std::uint64_t pc_desc_size = 0;
  std::uint64_t pc_desc_pc_offset = 0;
  std::uint64_t pc_desc_scope_decode_offset = 0;
  // What changes when classes may have been unloaded and their metadata
  // taken by others (has_unload_epoch false when the VM does not describe
  // it: a cached method is then checked by its ConstMethod* alone): the
  // heap's collection count (classes are unloaded by collections) and the
  // newest class loader's data (a new loader may get the metadata freed).
  bool has_unload_epoch = false;
  std::uint64_t universe_collected_heap = 0;  // address of a CollectedHeap*
  std::uint64_t collected_heap_total_collections = 0;
  std::uint64_t class_loader_data_graph_head = 0;  // address of a ClassLoaderData*
  // The VM's version, where exported (0 / empty otherwise).
  std::uint64_t vm_major_version = 0;  // address of an int
  std::uint64_t vm_release = 0;        // address of a const char*

  // The last byte of a blob header the plugin reads: one read covers it.
  std::uint64_t blob_header_bytes() const;

  static Status from(const VmStructs& vm, HotSpotLayout& out);
};

}  // namespace ember::jvm

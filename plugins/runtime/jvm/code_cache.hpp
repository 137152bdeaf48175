// HotSpot's code cache, read from the live process: its code heaps (JDK 9+
// segments it into non-method, profiled and non-profiled heaps) and, for a
// code address, the CodeBlob holding it. A heap allocates whole segments
// (2^log2_segment_size bytes); its segment map has one byte per segment:
// 0xff free, 0 the first segment of a block, else how many segments to go
// back towards that first one. The block starts with a HeapBlock header
// (its length and a used flag), the CodeBlob right after it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ember/status.hpp"
#include "hotspot_layout.hpp"
#include "remote_memory.hpp"

namespace ember::jvm {

struct CodeHeap {
  std::uint64_t low = 0;   // reserved range: the heap grows inside it
  std::uint64_t high = 0;  // exclusive
  std::uint64_t segmap = 0;
  std::uint32_t log2_segment_size = 0;
  bool contains(std::uint64_t pc) const { return pc >= low && pc < high; }
};

// What the plugin needs of one CodeBlob.
struct BlobInfo {
  std::uint64_t address = 0;  // the CodeBlob
  std::uint64_t code_begin = 0;
  std::uint64_t code_end = 0;
  std::uint64_t name_address = 0;  // its const char* _name (static strings of libjvm.so)
  std::int32_t size = 0;
  std::int32_t frame_size_words = 0;      // 0: no fixed frame (interpreter, most stubs)
  std::int32_t frame_complete_offset = -1;  // from code_begin; -1: none
  // nmethods only (compile_id > 0): the compiled method and its compile id,
  // unique for the VM's life, so a name cached by it never goes stale.
  std::uint64_t method = 0;
  std::int32_t compile_id = 0;
  // Its scopes (HotSpotLayout::has_scopes): PcDescs in [pcs_begin,
  // pcs_end), Method*s of its scopes from metadata_begin, scope records at
  // scopes_data.
  std::uint64_t pcs_begin = 0;
  std::uint64_t pcs_end = 0;
  std::uint64_t metadata_begin = 0;
  std::uint64_t scopes_data = 0;
  bool same_blob(const BlobInfo& other) const {
    return address == other.address && name_address == other.name_address &&
           code_begin == other.code_begin && method == other.method &&
           compile_id == other.compile_id;
  }
};

class CodeCache {
 public:
  // Reads CodeCache::_heaps (and the bounds of their reserve). An error
  // while the VM has not set it up yet; the heaps read before stay then.
  Status load(RemoteMemory& memory, const HotSpotLayout& layout);
  const std::vector<CodeHeap>& heaps() const { return heaps_; }
  bool contains(std::uint64_t pc) const;
  // The space reserved for all heaps, which holds them: the VM adds its
  // heaps one at a time (each mapped as it is added), so a read while it
  // starts may find some of them. Empty (low == high) when not exported.
  std::uint64_t reserve_low() const { return reserve_low_; }
  std::uint64_t reserve_high() const { return reserve_high_; }
  bool in_reserve(std::uint64_t pc) const { return pc >= reserve_low_ && pc < reserve_high_; }

  // The CodeBlob holding `pc`, nullopt for free space and unreadable memory.
  std::optional<std::uint64_t> find_blob(RemoteMemory& memory, std::uint64_t pc) const;
  // The blob at `blob`, false when its heap block is free or unreadable.
  static bool read_blob(RemoteMemory& memory, const HotSpotLayout& layout, std::uint64_t blob,
                        BlobInfo& out);

 private:
  const HotSpotLayout* layout_ = nullptr;
  std::vector<CodeHeap> heaps_;
  std::uint64_t reserve_low_ = 0;
  std::uint64_t reserve_high_ = 0;
};

}  // namespace ember::jvm

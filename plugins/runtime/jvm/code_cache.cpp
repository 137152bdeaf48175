#include "code_cache.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

namespace ember::jvm {
namespace {

constexpr std::uint32_t kMaxHeaps = 16;  // JDK 9+: 3 (non-method, profiled, non-profiled)
constexpr unsigned char kFreeSegment = 0xff;
// A block spans at most this many segments we will walk back over (a 128 B
// segment: 64 MiB), so a corrupt map cannot loop.
constexpr std::uint64_t kMaxSegmentsBack = 1u << 19;

}  // namespace

Status CodeCache::load(RemoteMemory& memory, const HotSpotLayout& layout) {
  layout_ = &layout;
  std::vector<CodeHeap> heaps;
  std::uint64_t array = 0;
  if (!memory.value(layout.code_cache_heaps, array)) {
    return Status::error("cannot read CodeCache::_heaps");
  }
  if (array == 0) return Status::error("the code cache is not set up yet");
  std::int32_t count = 0;
  std::uint64_t data = 0;
  if (!memory.value(array + layout.growable_array_len, count) ||
      !memory.value(array + layout.growable_array_data, data) || count <= 0 ||
      count > static_cast<std::int32_t>(kMaxHeaps) || data == 0) {
    return Status::error("the code cache's heap list is unreadable or not set up yet");
  }
  std::vector<std::uint64_t> pointers(static_cast<std::size_t>(count));
  if (!memory.read(data, pointers.data(), pointers.size() * 8)) {
    return Status::error("cannot read the code cache's heap list");
  }
  for (std::uint64_t pointer : pointers) {
    CodeHeap heap;
    std::uint64_t memory_space = pointer + layout.code_heap_memory;
    std::uint64_t segmap_space = pointer + layout.code_heap_segmap;
    std::int32_t log2 = 0;
    if (!memory.value(memory_space + layout.virtual_space_low_boundary, heap.low) ||
        !memory.value(memory_space + layout.virtual_space_high_boundary, heap.high) ||
        !memory.value(segmap_space + layout.virtual_space_low_boundary, heap.segmap) ||
        !memory.value(pointer + layout.code_heap_log2_segment_size, log2)) {
      return Status::error("cannot read a code heap");
    }
    if (heap.low == 0 || heap.high <= heap.low || heap.segmap == 0 || log2 < 4 || log2 > 16) {
      return Status::error("a code heap is not set up yet");
    }
    heap.log2_segment_size = static_cast<std::uint32_t>(log2);
    heaps.push_back(heap);
  }
  std::sort(heaps.begin(), heaps.end(),
            [](const CodeHeap& a, const CodeHeap& b) { return a.low < b.low; });
  heaps_ = std::move(heaps);
  std::uint64_t low = 0, high = 0;
  if (layout.code_cache_low_bound && layout.code_cache_high_bound &&
      memory.value(layout.code_cache_low_bound, low) &&
      memory.value(layout.code_cache_high_bound, high) && low < high &&
      low <= heaps_.front().low && high >= heaps_.back().high) {
    reserve_low_ = low;
    reserve_high_ = high;
  }
  return Status::ok();
}

bool CodeCache::contains(std::uint64_t pc) const {
  return std::any_of(heaps_.begin(), heaps_.end(),
                     [pc](const CodeHeap& heap) { return heap.contains(pc); });
}

std::optional<std::uint64_t> CodeCache::find_blob(RemoteMemory& memory, std::uint64_t pc) const {
  auto heap = std::find_if(heaps_.begin(), heaps_.end(),
                           [pc](const CodeHeap& h) { return h.contains(pc); });
  if (heap == heaps_.end() || !layout_) return std::nullopt;
  std::uint64_t segment = (pc - heap->low) >> heap->log2_segment_size;
  // The map is read in windows ending at the current segment: most blobs
  // are found in the first.
  unsigned char window[256];
  std::uint64_t walked = 0;
  while (true) {
    std::uint64_t first = segment >= sizeof window - 1 ? segment - (sizeof window - 1) : 0;
    std::size_t size = static_cast<std::size_t>(segment - first + 1);
    if (!memory.read(heap->segmap + first, window, size)) return std::nullopt;
    std::uint64_t step;
    while ((step = window[segment - first]) != 0) {
      if (step == kFreeSegment || step > segment) return std::nullopt;
      segment -= step;
      walked += step;
      if (walked > kMaxSegmentsBack) return std::nullopt;
      if (segment < first) break;  // beyond the window: read the next one
    }
    if (step == 0) break;
  }
  std::uint64_t block = heap->low + (segment << heap->log2_segment_size);
  return block + layout_->heap_block_size;  // read_blob checks the block is in use
}

bool CodeCache::read_blob(RemoteMemory& memory, const HotSpotLayout& layout, std::uint64_t blob,
                          BlobInfo& out) {
  // One read: the heap block's header (is it in use?) and the blob's.
  unsigned char bytes[1024];
  std::uint64_t block = blob - layout.heap_block_size;
  std::uint64_t size = layout.heap_block_size + layout.blob_header_bytes();
  if (blob < layout.heap_block_size || size > sizeof bytes || !memory.read(block, bytes, size) ||
      !bytes[layout.heap_block_used]) {
    return false;
  }
  const unsigned char* header = bytes + layout.heap_block_size;
  auto get = [&](std::uint64_t offset, auto& value) {
    std::memcpy(&value, header + offset, sizeof value);
  };
  out = BlobInfo{};
  out.address = blob;
  get(layout.blob_code_begin, out.code_begin);
  get(layout.blob_code_end, out.code_end);
  get(layout.blob_name, out.name_address);
  get(layout.blob_size, out.size);
  get(layout.blob_frame_size, out.frame_size_words);
  get(layout.blob_frame_complete_offset, out.frame_complete_offset);
  // Read for every blob, meaningful for nmethods only (known by name).
  get(layout.nmethod_method, out.method);
  get(layout.nmethod_compile_id, out.compile_id);
  if (layout.has_scopes) {
    std::int32_t pcs = 0, dependencies = 0, metadata = 0;
    get(layout.nmethod_scopes_pcs_offset, pcs);
    get(layout.nmethod_dependencies_offset, dependencies);
    get(layout.nmethod_metadata_offset, metadata);
    get(layout.nmethod_scopes_data_begin, out.scopes_data);
    if (pcs > 0 && dependencies >= pcs && metadata > 0) {
      out.pcs_begin = blob + static_cast<std::uint64_t>(pcs);
      out.pcs_end = blob + static_cast<std::uint64_t>(dependencies);
      out.metadata_begin = blob + static_cast<std::uint64_t>(metadata);
    }
  }
  return out.code_begin >= blob && out.code_end > out.code_begin && out.size > 0 &&
         out.code_end <= blob + static_cast<std::uint64_t>(out.size);
}

}  // namespace ember::jvm

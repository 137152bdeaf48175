// A HotSpot VM made up in a fake process memory, for the JVM plugin's unit
// tests: vmStructs tables with the entry layout JDK 17 exports (stride 48),
// a code cache of heaps with segment maps, CodeBlobs and nmethods, and the
// Method -> ConstMethod -> ConstantPool -> Klass -> Symbol chain a name is
// read through. Offsets are JDK 17's where it matters little which.
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "jvm_process.hpp"
#include "remote_memory.hpp"
#include "vm_structs.hpp"

namespace ember::jvm::testing {

// Sparse memory: regions of bytes at addresses; reads spanning a hole fail.
class FakeMemory final : public RemoteMemory {
 public:
  bool read(std::uint64_t address, void* buffer, std::size_t size) override {
    ++reads;
    auto it = regions_.upper_bound(address);
    if (it == regions_.begin()) return false;
    --it;
    const auto& bytes = it->second;
    if (address - it->first + size > bytes.size()) return false;
    std::memcpy(buffer, bytes.data() + (address - it->first), size);
    return true;
  }
  void map(std::uint64_t address, std::size_t size) { regions_[address].assign(size, 0); }
  void unmap(std::uint64_t address) { regions_.erase(address); }
  void write(std::uint64_t address, const void* data, std::size_t size) {
    auto it = regions_.upper_bound(address);
    --it;
    std::memcpy(it->second.data() + (address - it->first), data, size);
  }
  template <typename T>
  void put(std::uint64_t address, T value) {
    write(address, &value, sizeof value);
  }
  void put_string(std::uint64_t address, const std::string& text) {
    write(address, text.c_str(), text.size() + 1);
  }
  std::size_t reads = 0;

 private:
  std::map<std::uint64_t, std::vector<unsigned char>> regions_;
};

// Offsets of the made-up VM's types (JDK 17's).
namespace off {
inline constexpr std::uint64_t kBlobSize = 12, kBlobFrameComplete = 20, kBlobFrameSize = 28,
                               kBlobCodeBegin = 32, kBlobCodeEnd = 40, kBlobName = 96,
                               kNmethodMethod = 112, kNmethodCompileId = 304;
inline constexpr std::uint64_t kNmethodScopesData = 120, kNmethodMetadata = 260,
                               kNmethodScopesPcs = 268, kNmethodDependencies = 272;
inline constexpr std::uint64_t kPcDesc = 16, kPcDescPc = 0, kPcDescScope = 4;
inline constexpr std::uint64_t kHeapBlock = 16, kHeapBlockUsed = 8;
inline constexpr std::uint64_t kCodeHeapMemory = 8, kCodeHeapSegmap = 120, kCodeHeapLog2 = 256;
inline constexpr std::uint64_t kConstantPool = 72, kPoolHolder = 24, kPoolSourceFile = 54;
inline constexpr std::uint64_t kMethodConstMethod = 8, kConstMethodConstants = 8,
                               kConstMethodFlags = 28, kConstMethodCodeSize = 32,
                               kConstMethodName = 34, kConstMethodSignature = 36,
                               kConstMethod = 48;
inline constexpr std::uint64_t kKlassName = 24, kSymbolLength = 4, kSymbolBody = 6;
inline constexpr std::uint64_t kHeapTotalCollections = 64;
}  // namespace off

// A sample's copy of a thread's stack from sp 0x1000 (0x400 bytes), with
// words put where interpreter frames keep them (a Method* at CFA - 40, the
// bcp at CFA - 80).
class FakeStack {
 public:
  void put(std::uint64_t address, std::uint64_t value) {
    std::memcpy(bytes_.data() + (address - kSp), &value, 8);
  }
  StackCopy copy() const { return {kSp, bytes_}; }

 private:
  static constexpr std::uint64_t kSp = 0x1000;
  std::vector<unsigned char> bytes_ = std::vector<unsigned char>(0x400);
};

// A sample in the interpreter (its blob: segments 0-30 of a heap): Alpha.spin
// (Method* `spin`, CFA 0x1100) called by Main.main (CFA 0x1200).
struct InterpretedSample {
  std::uint64_t spin = 0;
  std::uint64_t pc = 0;
  StackCopy stack;
};

class FakeJvm {
 public:
  static constexpr std::uint64_t kBias = 0x7f0000000000;
  static constexpr std::uint32_t kLog2Segment = 7;  // 128-byte segments
  static constexpr std::uint64_t kSegment = 1u << kLog2Segment;

  FakeJvm();

  FakeMemory memory;
  VmStructsSymbols symbols;  // link-time addresses; the library sits at kBias

  // Leaves an entry out of gHotSpotVMStructs (before tables(), which writes them).
  void omit(const std::string& type, const std::string& field) {
    omitted_.push_back(type + "::" + field);
  }
  // Writes the tables into memory; call once, after omit().
  void tables();

  // A code heap of `segments` segments at `low`. Returns its index.
  std::size_t add_heap(std::uint64_t low, std::uint64_t segments);
  // CodeCache::_low_bound and _high_bound: the space the heaps are made in
  // (0 until set, as in a VM before it reserves its code cache).
  void reserve(std::uint64_t low, std::uint64_t high) {
    memory.put(reserve_low_static_, low);
    memory.put(reserve_high_static_, high);
  }
  // A blob of `segments` segments starting at segment `first` of heap
  // `heap`: its code from 0x40 bytes into the blob to its end. Returns the
  // CodeBlob's address.
  std::uint64_t add_blob(std::size_t heap, std::uint64_t first, std::uint64_t segments,
                         const std::string& name, std::int32_t frame_words,
                         std::int32_t frame_complete, std::uint64_t method = 0,
                         std::int32_t compile_id = 0);
  void free_blob(std::size_t heap, std::uint64_t first, std::uint64_t segments);
  // Scopes of the nmethod at `blob` (at least 16 segments): its metadata
  // (Method*s, indexed from 1 by the records), PcDescs {pc offset from
  // code_begin, scope record offset}, and the scope records' bytes.
  void add_scopes(std::uint64_t blob, const std::vector<std::uint64_t>& metadata,
                  const std::vector<std::pair<std::int32_t, std::int32_t>>& pc_descs,
                  const std::vector<unsigned char>& scope_data);
  // A Method* of class `klass` ("java/util/HashMap") named `name`, in
  // `source`, with `code_size` bytes of bytecode and, when not empty, a
  // compressed line number table (terminator included) after them.
  std::uint64_t add_method(const std::string& klass, const std::string& name,
                           const std::string& source, std::uint16_t code_size = 16,
                           const std::vector<unsigned char>& lines = {});
  // Its ConstMethod's bytecodes start here.
  std::uint64_t bytecodes(std::uint64_t method);
  // The class of `method` now named `klass`: another class, of the same
  // shape, defined where an unloaded one's metadata was.
  void rename_class(std::uint64_t method, const std::string& klass);
  // A collection (which may unload classes), and a new class loader.
  void collect() { memory.put(heap_object_ + off::kHeapTotalCollections, ++collections_); }
  void new_class_loader() { memory.put(loaders_static_, alloc(8)); }

  std::uint64_t code_begin(std::uint64_t blob) const { return blob + 0x40; }

  // The sample's stack copy views a stack this FakeJvm keeps.
  InterpretedSample add_interpreted_sample(std::size_t heap);

 private:
  std::uint64_t alloc(std::size_t size);  // fresh zeroed memory
  std::uint64_t string(const std::string& text);
  std::uint64_t symbol(const std::string& text);

  struct Heap {
    std::uint64_t low, segments, segmap, object;
  };
  std::vector<Heap> heaps_;
  std::uint64_t heaps_array_ = 0;  // GrowableArray<CodeHeap*>
  std::uint64_t heaps_data_ = 0;
  std::uint64_t heaps_static_ = 0;  // CodeCache::_heaps
  std::uint64_t reserve_low_static_ = 0, reserve_high_static_ = 0;
  std::uint64_t heap_static_ = 0;   // Universe::_collectedHeap
  std::uint64_t heap_object_ = 0;   // the CollectedHeap
  std::uint32_t collections_ = 0;
  std::uint64_t loaders_static_ = 0;  // ClassLoaderDataGraph::_head
  std::uint64_t next_ = 0x10000000;
  std::vector<std::string> omitted_;
  FakeStack interpreted_stack_;  // add_interpreted_sample's
};

}  // namespace ember::jvm::testing

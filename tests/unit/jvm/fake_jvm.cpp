#include "fake_jvm.hpp"

#include <algorithm>
#include <tuple>

namespace ember::jvm::testing {
namespace {

constexpr std::uint64_t kStride = 48;
// Link-time addresses of the exported globals, in the library's data.
constexpr std::uint64_t kGlobals = 0x1000;

struct Field {
  const char* type;
  const char* field;
  std::uint64_t offset;
};

// Instance fields of the made-up VM.
const Field kFields[] = {
    {"GrowableArrayBase", "_len", 0},
    {"GrowableArray<int>", "_data", 8},
    {"CodeHeap", "_memory", off::kCodeHeapMemory},
    {"CodeHeap", "_segmap", off::kCodeHeapSegmap},
    {"CodeHeap", "_log2_segment_size", off::kCodeHeapLog2},
    {"VirtualSpace", "_low_boundary", 0},
    {"VirtualSpace", "_high_boundary", 8},
    {"HeapBlock", "_header", 0},
    {"HeapBlock::Header", "_length", 0},
    {"HeapBlock::Header", "_used", off::kHeapBlockUsed},
    {"CodeBlob", "_name", off::kBlobName},
    {"CodeBlob", "_size", off::kBlobSize},
    {"CodeBlob", "_frame_complete_offset", off::kBlobFrameComplete},
    {"CodeBlob", "_frame_size", off::kBlobFrameSize},
    {"CodeBlob", "_code_begin", off::kBlobCodeBegin},
    {"CodeBlob", "_code_end", off::kBlobCodeEnd},
    {"CompiledMethod", "_method", off::kNmethodMethod},  // nmethod::_method since JDK 23
    {"nmethod", "_compile_id", off::kNmethodCompileId},
    {"CompiledMethod", "_scopes_data_begin", off::kNmethodScopesData},
    {"nmethod", "_metadata_offset", off::kNmethodMetadata},
    {"nmethod", "_scopes_pcs_offset", off::kNmethodScopesPcs},
    {"nmethod", "_dependencies_offset", off::kNmethodDependencies},
    {"PcDesc", "_pc_offset", off::kPcDescPc},
    {"PcDesc", "_scope_decode_offset", off::kPcDescScope},
    {"Method", "_constMethod", off::kMethodConstMethod},
    {"ConstMethod", "_constants", off::kConstMethodConstants},
    {"ConstMethod", "_flags", off::kConstMethodFlags},
    {"ConstMethod", "_code_size", off::kConstMethodCodeSize},
    {"ConstMethod", "_name_index", off::kConstMethodName},
    {"ConstMethod", "_signature_index", off::kConstMethodSignature},
    {"ConstantPool", "_pool_holder", off::kPoolHolder},
    {"ConstantPool", "_source_file_name_index", off::kPoolSourceFile},
    {"Klass", "_name", off::kKlassName},
    {"Symbol", "_length", off::kSymbolLength},
    {"Symbol", "_body", off::kSymbolBody},
    {"CollectedHeap", "_total_collections", off::kHeapTotalCollections},
    {"EpsilonHeap", "_space", 312},  // one the plugin has no use for
};

}  // namespace

FakeJvm::FakeJvm() {
  memory.map(kBias + kGlobals, 0x100);
  std::uint64_t at = kGlobals;
  for (std::size_t i = 0; i < std::size(kVmStructsSymbolNames); ++i, at += 8) {
    symbol_slot(symbols, i) = at;
  }
  heaps_static_ = alloc(8);
  reserve_low_static_ = alloc(8);
  reserve_high_static_ = alloc(8);
  heap_static_ = alloc(8);
  heap_object_ = alloc(off::kHeapTotalCollections + 8);
  memory.put(heap_static_, heap_object_);
  loaders_static_ = alloc(8);
  new_class_loader();
}

std::uint64_t FakeJvm::alloc(std::size_t size) {
  // Whole pages, as a process maps memory, and a hole after each: reads
  // past the page fail.
  std::uint64_t address = next_;
  std::uint64_t pages = (size + 0xfff) & ~std::uint64_t{0xfff};
  memory.map(address, pages);
  next_ += pages + 0x1000;
  return address;
}

std::uint64_t FakeJvm::string(const std::string& text) {
  std::uint64_t address = alloc(text.size() + 1);
  memory.put_string(address, text);
  return address;
}

std::uint64_t FakeJvm::symbol(const std::string& text) {
  std::uint64_t address = alloc(off::kSymbolBody + text.size());
  memory.put<std::uint16_t>(address + off::kSymbolLength, static_cast<std::uint16_t>(text.size()));
  memory.write(address + off::kSymbolBody, text.data(), text.size());
  return address;
}

void FakeJvm::tables() {
  std::vector<std::tuple<std::string, std::string, bool, std::uint64_t>> entries;
  for (const Field& f : kFields) entries.emplace_back(f.type, f.field, false, f.offset);
  entries.emplace_back("CodeCache", "_heaps", true, heaps_static_);
  entries.emplace_back("CodeCache", "_low_bound", true, reserve_low_static_);
  entries.emplace_back("CodeCache", "_high_bound", true, reserve_high_static_);
  entries.emplace_back("Universe", "_collectedHeap", true, heap_static_);
  entries.emplace_back("ClassLoaderDataGraph", "_head", true, loaders_static_);
  std::uint64_t release = alloc(8);
  memory.put(release, string("17.0.99+1-test"));
  entries.emplace_back("Abstract_VM_Version", "_s_vm_release", true, release);
  std::erase_if(entries, [&](const auto& e) {
    return std::find(omitted_.begin(), omitted_.end(),
                     std::get<0>(e) + "::" + std::get<1>(e)) != omitted_.end();
  });

  std::uint64_t structs = alloc((entries.size() + 1) * kStride);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& [type, field, is_static, value] = entries[i];
    std::uint64_t e = structs + i * kStride;
    memory.put(e + 0, string(type));
    memory.put(e + 8, string(field));
    memory.put(e + 16, string("int"));
    memory.put<std::int32_t>(e + 24, is_static ? 1 : 0);
    memory.put<std::uint64_t>(e + (is_static ? 40 : 32), value);
  }
  std::pair<const char*, std::uint64_t> types[] = {
      {"HeapBlock", off::kHeapBlock},
      {"ConstantPool", off::kConstantPool},
      {"ConstMethod", off::kConstMethod},
      {"PcDesc", off::kPcDesc},
      {"Symbol", 8}};
  std::uint64_t type_table = alloc((std::size(types) + 1) * kStride);
  for (std::size_t i = 0; i < std::size(types); ++i) {
    memory.put(type_table + i * kStride, string(types[i].first));
    memory.put<std::uint64_t>(type_table + i * kStride + 32, types[i].second);
  }
  auto global = [&](std::uint64_t link_address, std::uint64_t value) {
    memory.put(kBias + link_address, value);
  };
  global(symbols.structs, structs);
  global(symbols.struct_stride, kStride);
  global(symbols.struct_type_name, 0);
  global(symbols.struct_field_name, 8);
  global(symbols.struct_is_static, 24);
  global(symbols.struct_offset, 32);
  global(symbols.struct_address, 40);
  global(symbols.types, type_table);
  global(symbols.type_stride, kStride);
  global(symbols.type_type_name, 0);
  global(symbols.type_size, 32);
}

std::size_t FakeJvm::add_heap(std::uint64_t low, std::uint64_t segments) {
  Heap heap{low, segments, alloc(segments), alloc(off::kCodeHeapLog2 + 8)};
  memory.map(low, segments * kSegment);
  std::vector<unsigned char> free(segments, 0xff);
  memory.write(heap.segmap, free.data(), free.size());
  memory.put(heap.object + off::kCodeHeapMemory, low);
  memory.put(heap.object + off::kCodeHeapMemory + 8, low + segments * kSegment);
  memory.put(heap.object + off::kCodeHeapSegmap, heap.segmap);
  memory.put<std::int32_t>(heap.object + off::kCodeHeapLog2, kLog2Segment);
  heaps_.push_back(heap);
  // CodeCache::_heaps -> GrowableArray {_len, _max, _data}.
  if (!heaps_array_) {
    heaps_array_ = alloc(16);
    heaps_data_ = alloc(8 * 16);
    memory.put(heaps_static_, heaps_array_);
    memory.put(heaps_array_ + 8, heaps_data_);
  }
  memory.put<std::int32_t>(heaps_array_, static_cast<std::int32_t>(heaps_.size()));
  memory.put(heaps_data_ + 8 * (heaps_.size() - 1), heap.object);
  return heaps_.size() - 1;
}

std::uint64_t FakeJvm::add_blob(std::size_t index, std::uint64_t first, std::uint64_t segments,
                                const std::string& name, std::int32_t frame_words,
                                std::int32_t frame_complete, std::uint64_t method,
                                std::int32_t compile_id) {
  const Heap& heap = heaps_[index];
  // HotSpot's map: 0 at the block's first segment, then hops back of 1..254.
  std::vector<unsigned char> map(segments);
  for (std::uint64_t k = 1; k < segments; ++k) map[k] = static_cast<unsigned char>((k - 1) % 254 + 1);
  memory.write(heap.segmap + first, map.data(), map.size());
  std::uint64_t block = heap.low + first * kSegment;
  std::uint64_t blob = block + off::kHeapBlock;
  memory.put<std::uint64_t>(block, segments);
  memory.put<std::uint8_t>(block + off::kHeapBlockUsed, 1);
  std::int32_t size = static_cast<std::int32_t>(segments * kSegment - off::kHeapBlock);
  memory.put(blob + off::kBlobSize, size);
  memory.put(blob + off::kBlobCodeBegin, code_begin(blob));
  memory.put(blob + off::kBlobCodeEnd, blob + static_cast<std::uint64_t>(size));
  memory.put(blob + off::kBlobName, string(name));
  memory.put(blob + off::kBlobFrameSize, frame_words);
  memory.put(blob + off::kBlobFrameComplete, frame_complete);
  memory.put(blob + off::kNmethodMethod, method);
  memory.put(blob + off::kNmethodCompileId, compile_id);
  return blob;
}

void FakeJvm::add_scopes(std::uint64_t blob, const std::vector<std::uint64_t>& metadata,
                         const std::vector<std::pair<std::int32_t, std::int32_t>>& pc_descs,
                         const std::vector<unsigned char>& scope_data) {
  // Inside the blob, as HotSpot lays an nmethod out: metadata, then PcDescs.
  constexpr std::int32_t kMetadata = 0x400, kPcs = 0x500;
  for (std::size_t i = 0; i < metadata.size(); ++i) memory.put(blob + kMetadata + 8 * i, metadata[i]);
  for (std::size_t i = 0; i < pc_descs.size(); ++i) {
    memory.put(blob + kPcs + off::kPcDesc * i + off::kPcDescPc, pc_descs[i].first);
    memory.put(blob + kPcs + off::kPcDesc * i + off::kPcDescScope, pc_descs[i].second);
  }
  std::uint64_t data = alloc(scope_data.size() + 16);
  memory.write(data, scope_data.data(), scope_data.size());
  memory.put(blob + off::kNmethodMetadata, kMetadata);
  memory.put(blob + off::kNmethodScopesPcs, kPcs);
  memory.put(blob + off::kNmethodDependencies,
             kPcs + static_cast<std::int32_t>(off::kPcDesc * pc_descs.size()));
  memory.put(blob + off::kNmethodScopesData, data);
}

void FakeJvm::free_blob(std::size_t index, std::uint64_t first, std::uint64_t segments) {
  const Heap& heap = heaps_[index];
  std::vector<unsigned char> free(segments, 0xff);
  memory.write(heap.segmap + first, free.data(), free.size());
  memory.put<std::uint8_t>(heap.low + first * kSegment + off::kHeapBlockUsed, 0);
}

std::uint64_t FakeJvm::add_method(const std::string& klass, const std::string& name,
                                  const std::string& source, std::uint16_t code_size,
                                  const std::vector<unsigned char>& lines) {
  std::uint64_t holder = alloc(off::kKlassName + 8);
  memory.put(holder + off::kKlassName, symbol(klass));
  std::uint64_t pool = alloc(off::kConstantPool + 4 * 8);
  memory.put(pool + off::kPoolHolder, holder);
  memory.put<std::uint16_t>(pool + off::kPoolSourceFile, source.empty() ? 0 : 2);
  memory.put(pool + off::kConstantPool + 1 * 8, symbol(name));
  if (!source.empty()) memory.put(pool + off::kConstantPool + 2 * 8, symbol(source));
  memory.put(pool + off::kConstantPool + 3 * 8, symbol("()V"));
  std::uint64_t const_method = alloc(off::kConstMethod + code_size + lines.size());
  memory.put(const_method + off::kConstMethodConstants, pool);
  memory.put<std::uint16_t>(const_method + off::kConstMethodFlags, lines.empty() ? 0 : 1);
  memory.put<std::uint16_t>(const_method + off::kConstMethodCodeSize, code_size);
  memory.put<std::uint16_t>(const_method + off::kConstMethodName, 1);
  memory.put<std::uint16_t>(const_method + off::kConstMethodSignature, 3);
  if (!lines.empty()) {
    memory.write(const_method + off::kConstMethod + code_size, lines.data(), lines.size());
  }
  std::uint64_t method = alloc(88);
  memory.put(method + off::kMethodConstMethod, const_method);
  return method;
}

void FakeJvm::rename_class(std::uint64_t method, const std::string& klass) {
  std::uint64_t const_method = 0, pool = 0, holder = 0;
  memory.value(method + off::kMethodConstMethod, const_method);
  memory.value(const_method + off::kConstMethodConstants, pool);
  memory.value(pool + off::kPoolHolder, holder);
  memory.put(holder + off::kKlassName, symbol(klass));
}

std::uint64_t FakeJvm::bytecodes(std::uint64_t method) {
  std::uint64_t const_method = 0;
  memory.value(method + off::kMethodConstMethod, const_method);
  return const_method + off::kConstMethod;
}

InterpretedSample FakeJvm::add_interpreted_sample(std::size_t heap) {
  InterpretedSample sample;
  sample.spin = add_method("Alpha", "spin", "Spin.java");
  std::uint64_t main_method = add_method("Main", "main", "Main.java");
  std::uint64_t interpreter = add_blob(heap, 0, 30, "Interpreter", 0, -1);
  interpreted_stack_.put(0x1100 - 40, sample.spin);
  interpreted_stack_.put(0x1200 - 40, main_method);
  sample.stack = interpreted_stack_.copy();
  sample.pc = code_begin(interpreter) + 0x80;
  return sample;
}

}  // namespace ember::jvm::testing

// The JVM plugin's readers over a process whose memory is the fuzzer's
// input: every address reads the input's bytes (wrapping), so vmStructs
// tables, code heaps, segment maps, blobs, methods, line tables and scope
// records are all arbitrary. Nothing may crash, hang or read out of bounds;
// the rest of the input picks the pcs, CFAs and stack copy asked about.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "jvm_process.hpp"

namespace {

class InputMemory final : public ember::jvm::RemoteMemory {
 public:
  explicit InputMemory(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  bool read(std::uint64_t address, void* buffer, std::size_t size) override {
    if (bytes_.empty() || size > (1u << 20)) return false;
    auto* out = static_cast<unsigned char*>(buffer);
    for (std::size_t i = 0; i < size; ++i) out[i] = bytes_[(address + i) % bytes_.size()];
    return true;
  }

 private:
  std::span<const std::uint8_t> bytes_;
};

std::uint64_t word(std::span<const std::uint8_t> bytes, std::size_t at) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < 8 && !bytes.empty(); ++i) {
    value |= std::uint64_t{bytes[(at + i) % bytes.size()]} << (8 * i);
  }
  return value;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 64) return 0;
  std::span<const std::uint8_t> bytes(data, size);
  InputMemory memory(bytes);
  ember::jvm::VmStructsSymbols symbols;
  for (std::size_t i = 0; i < 11; ++i) ember::jvm::symbol_slot(symbols, i) = word(bytes, 8 * i) % size;
  ember::jvm::JvmProcess vm(memory);
  if (data[0] & 1) {
    // JDK 17's layout, so the code cache, blob, method, line and scope
    // readers get arbitrary memory without the tables having to parse.
    ember::jvm::HotSpotLayout l;
    l.code_cache_heaps = word(bytes, 8) % size;
    l.growable_array_data = 8;
    l.code_heap_memory = 8;
    l.code_heap_segmap = 120;
    l.code_heap_log2_segment_size = 256;
    l.virtual_space_high_boundary = 8;
    l.heap_block_size = 16;
    l.heap_block_used = 8;
    l.blob_name = 96;
    l.blob_size = 12;
    l.blob_frame_complete_offset = 20;
    l.blob_frame_size = 28;
    l.blob_code_begin = 32;
    l.blob_code_end = 40;
    l.nmethod_method = 112;
    l.nmethod_compile_id = 304;
    l.method_const_method = 8;
    l.const_method_constants = 8;
    l.const_method_name_index = 34;
    l.const_method_signature_index = 36;
    l.const_method_flags = 28;
    l.const_method_code_size = 32;
    l.const_method_size = 48;
    l.constant_pool_size = 72;
    l.constant_pool_holder = 24;
    l.constant_pool_source_file_index = 54;
    l.klass_name = 24;
    l.symbol_length = 4;
    l.symbol_body = 6;
    l.has_scopes = true;
    l.nmethod_scopes_pcs_offset = 268;
    l.nmethod_dependencies_offset = 272;
    l.nmethod_metadata_offset = 260;
    l.nmethod_scopes_data_begin = 120;
    l.pc_desc_size = 16;
    l.pc_desc_scope_decode_offset = 4;
    vm.set_layout(l);
  }
  if (!vm.refresh(symbols, 0)) return 0;
  ember::jvm::StackCopy stack{word(bytes, 96), bytes.subspan(0, std::min<std::size_t>(size, 4096))};
  std::vector<ember::FrameHandle> frames;
  ember::UnwindRule rule;
  for (std::size_t k = 0; k < 16; ++k) {
    std::uint64_t pc = word(bytes, 104 + 16 * k);
    std::uint64_t cfa = word(bytes, 112 + 16 * k);
    if (!vm.heaps().empty()) pc = vm.heaps()[k % vm.heaps().size()].low + pc % 65536;
    vm.unwind_rule(pc, rule);
    frames.clear();
    vm.frames(pc, cfa, stack, frames);
    if (k % 4 == 3) vm.next_sample();
  }
  return 0;
}

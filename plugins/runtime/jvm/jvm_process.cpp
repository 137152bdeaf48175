#include "jvm_process.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <iterator>

#include "compressed_stream.hpp"

#include "ember/frame_kind.hpp"
#include "method_names.hpp"

namespace ember::jvm {
namespace {

// Blobs a VM's samples ran in: a few hundred hot ones. Past this many the
// cache starts over (a VM churning through code).
constexpr std::size_t kMaxBlobs = 16384;
// An interpreter frame keeps its Method* 3 words and its bytecode pointer 8
// words below its saved rbp (frame::interpreter_frame_method_offset and
// _bcp_offset, x86-64, JDK 9 and later), at CFA - 16 - 24 and CFA - 16 - 64.
constexpr std::uint64_t kInterpreterMethodBelowCfa = 40;
constexpr std::uint64_t kInterpreterBcpBelowCfa = 80;
// Frames larger than this (words) are a misread, not a frame.
constexpr std::int32_t kMaxFrameWords = 1 << 16;

FrameHandle make_frame(std::string name, std::string file) {
  Frame frame;
  frame.name = std::move(name);
  frame.module = file;
  frame.file = std::move(file);
  frame.kind = frame_kind::java;
  return std::make_shared<const Frame>(std::move(frame));
}

// Heap bytes of a string beyond the object (none while it fits inline).
std::size_t string_heap_bytes(const std::string& text) {
  return text.capacity() > std::string().capacity() ? text.capacity() + 1 : 0;
}

// A frame made by make_shared: the frame, its control block, its strings.
std::size_t frame_bytes(const FrameHandle& frame) {
  if (!frame) return 0;
  return sizeof(Frame) + 2 * sizeof(void*) + string_heap_bytes(frame->name) +
         string_heap_bytes(frame->module) + string_heap_bytes(frame->file) +
         string_heap_bytes(frame->kind);
}

// A node of a std::map or std::unordered_map beside its value.
constexpr std::size_t kNodeBytes = 4 * sizeof(void*);

}  // namespace

std::size_t JvmProcess::cache_bytes() const {
  std::size_t bytes = 0;
  for (const auto& [address, blob] : blobs_) {
    bytes += kNodeBytes + sizeof blob + frame_bytes(blob.frame) +
             blob.pcs.capacity() * sizeof(PcEntry) +
             blob.scopes.bucket_count() * sizeof(void*);
    for (const auto& [scope, frames] : blob.scopes) {
      // The frames are the methods' (counted there).
      bytes += kNodeBytes + sizeof frames + frames.capacity() * sizeof(FrameHandle);
    }
  }
  for (const auto& [address, name] : blob_names_) {
    bytes += kNodeBytes + sizeof name + string_heap_bytes(name);
  }
  for (const auto& [address, method] : methods_) {
    bytes += kNodeBytes + sizeof method + string_heap_bytes(method.name) +
             string_heap_bytes(method.file) + method.lines.capacity() * sizeof(LineEntry) +
             method.frames.bucket_count() * sizeof(void*);
    for (const auto& [key, frame] : method.frames) bytes += kNodeBytes + frame_bytes(frame);
  }
  return bytes + (blob_names_.bucket_count() + methods_.bucket_count()) * sizeof(void*);
}

std::uint64_t JvmProcess::monotonic_ns() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

bool StackCopy::word(std::uint64_t address, std::uint64_t& out) const {
  if (address < sp || address - sp > bytes.size() || bytes.size() - (address - sp) < 8) {
    return false;
  }
  std::memcpy(&out, bytes.data() + (address - sp), 8);
  return true;
}

Status JvmProcess::refresh(const VmStructsSymbols& symbols, std::uint64_t bias) {
  if (unsupported_) return Status::error("unsupported HotSpot VM");
  if (!have_layout_) {
    VmStructs vm;
    if (Status status = VmStructs::read(memory_, symbols, bias, vm); !status) return status;
    if (Status status = HotSpotLayout::from(vm, layout_); !status) {
      unsupported_ = true;
      return status;
    }
    have_layout_ = true;
    if (layout_.vm_release) {
      std::uint64_t release = 0;
      if (memory_.value(layout_.vm_release, release) && release) {
        memory_.c_string(release, version_, 128);
      }
    }
  }
  if (Status status = code_cache_.load(memory_, layout_); !status) {
    ready_ = false;
    return status;
  }
  heaps_read_ns_ = clock_();
  ready_ = true;
  return Status::ok();
}

std::vector<std::pair<std::uint64_t, std::uint64_t>> JvmProcess::code_spans() const {
  if (code_cache_.reserve_low() < code_cache_.reserve_high()) {
    return {{code_cache_.reserve_low(), code_cache_.reserve_high()}};
  }
  std::vector<std::pair<std::uint64_t, std::uint64_t>> spans;
  for (const CodeHeap& heap : code_cache_.heaps()) spans.emplace_back(heap.low, heap.high);
  return spans;
}

bool JvmProcess::heap_added_for(std::uint64_t pc) {
  if (!code_cache_.in_reserve(pc)) return false;
  const std::uint64_t now = clock_();
  if (now - heaps_read_ns_ < kHeapsRereadNs) return false;
  heaps_read_ns_ = now;
  return code_cache_.load(memory_, layout_) && code_cache_.contains(pc);
}

bool JvmProcess::read_blob(std::uint64_t address, BlobInfo& out) {
  return CodeCache::read_blob(memory_, layout_, address, out);
}

bool JvmProcess::still_there(const Blob& blob) {
  BlobInfo now;
  return read_blob(blob.info.address, now) && now.same_blob(blob.info);
}

const std::string& JvmProcess::blob_name(std::uint64_t name_address) {
  auto [it, added] = blob_names_.try_emplace(name_address);
  if (added && !memory_.c_string(name_address, it->second, 128)) it->second.clear();
  return it->second;
}

JvmProcess::Blob* JvmProcess::blob_at(std::uint64_t pc) {
  if (!ready_ || (!code_cache_.contains(pc) && !heap_added_for(pc))) return nullptr;
  auto next = blobs_.upper_bound(pc);
  if (next != blobs_.begin()) {
    auto it = std::prev(next);
    Blob& blob = it->second;
    if (pc < blob.info.code_end) {
      // Only nmethods go away (unloaded, recompiled, swept): the interpreter,
      // stubs and adapters stay for the VM's life.
      if (blob.checked == generation_ || blob.kind != BlobKind::nmethod) return &blob;
      if (still_there(blob)) {
        blob.checked = generation_;
        return &blob;
      }
      blobs_.erase(it);  // freed or replaced: look it up afresh
    }
  }
  auto address = code_cache_.find_blob(memory_, pc);
  BlobInfo info;
  if (!address || !read_blob(*address, info) || pc < info.code_begin || pc >= info.code_end) {
    return nullptr;
  }
  if (blobs_.size() >= kMaxBlobs) blobs_.clear();
  // Cached blobs the new one overlaps are gone from the VM.
  auto first = blobs_.lower_bound(info.code_begin);
  if (first != blobs_.begin() && std::prev(first)->second.info.code_end > info.code_begin) --first;
  blobs_.erase(first, blobs_.lower_bound(info.code_end));
  Blob blob;
  blob.info = info;
  blob.checked = generation_;
  blob.seen_ns = clock_();
  const std::string& name = blob_name(info.name_address);
  if (name == "nmethod" || name == "native nmethod") {
    blob.kind = BlobKind::nmethod;
  } else {
    blob.kind = name == "Interpreter" ? BlobKind::interpreter : BlobKind::other;
    blob.info.method = 0;  // not an nmethod: those words are something else
    blob.info.compile_id = 0;
    blob.info.pcs_begin = blob.info.pcs_end = 0;
  }
  return &blobs_.emplace(info.code_begin, std::move(blob)).first->second;
}

bool JvmProcess::unwind_rule(std::uint64_t pc, UnwindRule& rule) {
  const Blob* blob = blob_at(pc);
  if (!blob) return false;
  const BlobInfo& info = blob->info;
  if (info.frame_size_words <= 0) {
    // No fixed frame: the interpreter and the stubs (call stub, adapters)
    // push rbp and point it at the saved one.
    rule = UnwindRule{UnwindRule::CfaBase::bp, 16, -8, true, -16};
    return true;
  }
  if (info.frame_size_words > kMaxFrameWords) return false;
  if (info.frame_complete_offset >= 0 &&
      pc < info.code_begin + static_cast<std::uint64_t>(info.frame_complete_offset)) {
    // In the prologue: the frame is not built yet, the return address is on top.
    rule = UnwindRule{UnwindRule::CfaBase::sp, 8, -8, false, 0};
    return true;
  }
  // Compiled code: a fixed frame of frame_size words, the return address
  // and the caller's rbp at its top, whether or not rbp is kept as a frame
  // pointer (-XX:+PreserveFramePointer).
  rule = UnwindRule{UnwindRule::CfaBase::sp, info.frame_size_words * 8, -8, true, -16};
  return true;
}

FrameHandle JvmProcess::name(Blob& blob) {
  if (blob.frame) return blob.frame;
  if (blob.kind == BlobKind::nmethod) {
    MethodName method;
    if (read_method_name(memory_, layout_, blob.info.method, method)) {
      blob.frame = make_frame(method.qualified(), method.source_file);
    } else {
      blob.frame = make_frame("[unknown Java method]", "");
    }
  } else if (blob.kind == BlobKind::interpreter) {
    blob.frame = make_frame("[interpreted Java]", "");
  } else {
    const std::string& name = blob_name(blob.info.name_address);
    blob.frame = make_frame("[" + (name.empty() ? std::string("JVM stub") : name) + "]", "");
  }
  return blob.frame;
}

const JvmProcess::UnloadEpoch& JvmProcess::unload_epoch() {
  if (epoch_generation_ == generation_ || !layout_.has_unload_epoch) return epoch_;
  epoch_generation_ = generation_;
  if (!collected_heap_) memory_.value(layout_.universe_collected_heap, collected_heap_);
  UnloadEpoch now;
  if (!collected_heap_ ||
      !memory_.value(collected_heap_ + layout_.collected_heap_total_collections, now.collections) ||
      !memory_.value(layout_.class_loader_data_graph_head, now.newest_loader)) {
    now = UnloadEpoch{~0u, ~std::uint64_t{0}};  // unreadable: trust no cached method
  }
  if (!epoch_read_ || now.collections != epoch_.collections) {
    collections_since_ns_ = !epoch_read_ && now.collections == 0 ? 0 : clock_();
  }
  epoch_read_ = true;
  epoch_ = now;
  return epoch_;
}

bool JvmProcess::unverifiable(std::uint64_t known_ns) {
  if (sample_ns_ >= known_ns || !layout_.has_unload_epoch) return false;
  unload_epoch();
  return sample_ns_ < collections_since_ns_;
}

JvmProcess::Method* JvmProcess::method_at(std::uint64_t method) {
  std::uint64_t known_ns = clock_();  // since when the method is known as it is named
  std::string known_name;               // the name it was known by since then
  auto it = methods_.find(method);
  if (it != methods_.end() && it->second.checked != generation_) {
    MethodIdentity now;
    bool same = read_method_identity(memory_, layout_, method, now) && now == it->second.identity;
    if (same && it->second.epoch == unload_epoch()) {
      it->second.checked = generation_;
    } else {
      // Freed (its class unloaded), another method or class there now, or
      // classes unloaded since it was named: one of the same shape and name
      // may have taken its Method and ConstMethod. Named afresh; the same
      // name through the same words is known since it was first named.
      if (same) {
        known_ns = it->second.named_ns;
        known_name = std::move(it->second.name);
      }
      methods_.erase(it);
      it = methods_.end();
    }
  }
  if (it != methods_.end()) return &it->second;
  MethodName name;
  Method entry;
  MethodIdentity after;
  entry.epoch = unload_epoch();  // before the name: an unload while reading names it again
  if (!read_method_identity(memory_, layout_, method, entry.identity) ||
      !read_method_name(memory_, layout_, entry.identity, name) ||
      !read_bytecodes(memory_, layout_, entry.identity.const_method, entry.code)) {
    return nullptr;
  }
  entry.lines = read_line_table(memory_, layout_, entry.identity.const_method);
  // Read again after the name: a class unloaded, or another defined in its
  // place, while it was read changed them, and the name may be either's.
  if (!read_method_identity(memory_, layout_, method, after) || !(after == entry.identity)) {
    return nullptr;
  }
  if (methods_.size() >= kMaxBlobs) methods_.clear();
  entry.checked = generation_;
  entry.name = name.qualified();
  entry.named_ns = entry.name == known_name ? known_ns : clock_();
  entry.file = std::move(name.source_file);
  return &methods_.emplace(method, std::move(entry)).first->second;
}

FrameHandle JvmProcess::method_frame(Method& method, std::int64_t bci, bool inlined) {
  // A negative bci (a compiled method's entry) counts as its first bytecode.
  std::uint32_t line = bci >= 0 && bci < method.code.size
                           ? line_of(method.lines, static_cast<std::uint32_t>(bci))
                           : (bci < 0 ? line_of(method.lines, 0) : 0);
  FrameHandle& frame = method.frames[std::uint64_t{line} * 2 + (inlined ? 1 : 0)];
  if (!frame) {
    Frame named;
    named.name = method.name;
    named.module = method.file;
    named.file = method.file;
    named.line = line;
    named.kind = frame_kind::java;
    named.inlined = inlined;
    frame = std::make_shared<const Frame>(std::move(named));
  }
  return frame;
}

FrameHandle JvmProcess::interpreted(std::uint64_t method, std::uint64_t bcp) {
  Method* entry = method_at(method);
  // Not a Method* (the frame was not set up yet), or one the sample may
  // not have run: named after it was taken, and the VM collected since.
  if (!entry || unverifiable(entry->named_ns)) return nullptr;
  std::int64_t bci = entry->code.contains(bcp) ? static_cast<std::int64_t>(bcp - entry->code.start)
                                               : std::int64_t{entry->code.size};  // no line
  return method_frame(*entry, bci, false);
}

bool JvmProcess::compiled(Blob& blob, std::uint64_t pc, std::vector<FrameHandle>& out) {
  // PcDescs of one nmethod: a few per call site and safepoint.
  constexpr std::uint64_t kMaxPcDescBytes = 1 << 20;
  constexpr int kMaxScopes = 32;  // inlining depth, far above C2's MaxInlineLevel
  const BlobInfo& info = blob.info;
  if (!blob.pcs_read) {
    blob.pcs_read = true;
    std::uint64_t bytes = info.pcs_end - info.pcs_begin;
    if (info.pcs_begin != 0 && bytes <= kMaxPcDescBytes) {
      std::vector<unsigned char> raw(bytes);
      if (memory_.read(info.pcs_begin, raw.data(), raw.size())) {
        for (std::uint64_t at = 0; at + layout_.pc_desc_size <= bytes; at += layout_.pc_desc_size) {
          PcEntry entry;
          std::memcpy(&entry.pc_offset, raw.data() + at + layout_.pc_desc_pc_offset, 4);
          std::memcpy(&entry.scope, raw.data() + at + layout_.pc_desc_scope_decode_offset, 4);
          blob.pcs.push_back(entry);
        }
      }
    }
  }
  std::int64_t offset = static_cast<std::int64_t>(pc - info.code_begin);
  auto next = std::upper_bound(blob.pcs.begin(), blob.pcs.end(), offset,
                               [](std::int64_t value, const PcEntry& e) { return value < e.pc_offset; });
  if (next == blob.pcs.end() || next->scope <= 0) return false;
  auto [cached, added] = blob.scopes.try_emplace(next->scope);
  if (added) {
    std::int32_t scope = next->scope;
    for (int depth = 0; depth < kMaxScopes && scope > 0; ++depth) {
      // A scope record starts with three numbers: its caller's scope, its
      // method (an index into the nmethod's metadata, from 1) and its bci + 1.
      unsigned char record[16];
      std::uint32_t sender = 0, index = 0, bci_plus_one = 0;
      std::size_t at = 0;
      if (!memory_.read(info.scopes_data + static_cast<std::uint64_t>(scope), record,
                        sizeof record) ||
          !read_unsigned5(record, at, sender) || !read_unsigned5(record, at, index) ||
          !read_unsigned5(record, at, bci_plus_one) || index == 0) {
        break;
      }
      std::uint64_t method = 0;
      Method* entry = nullptr;
      if (!memory_.value(info.metadata_begin + (std::uint64_t{index} - 1) * 8, method) ||
          !(entry = method_at(method))) {
        break;
      }
      cached->second.push_back(
          method_frame(*entry, std::int64_t{bci_plus_one} - 1, /*inlined=*/sender != 0));
      if (sender != 0 && static_cast<std::int32_t>(sender) >= scope) break;  // callers come first
      scope = static_cast<std::int32_t>(sender);
    }
    // The outermost scope is the compiled method itself: anything else is a misread.
    if (!cached->second.empty() && cached->second.back()->inlined) cached->second.clear();
    if (cached->second.empty()) {
      blob.scopes.erase(cached);  // a method unreadable for now: asked again next time
      return false;
    }
  }
  out.insert(out.end(), cached->second.begin(), cached->second.end());
  return !cached->second.empty();
}

void JvmProcess::frames(std::uint64_t pc, std::uint64_t cfa, const StackCopy& stack,
                        std::vector<FrameHandle>& out) {
  Blob* blob = blob_at(pc);
  if (!blob) return;
  if (blob->kind == BlobKind::nmethod && layout_.has_scopes && !unverifiable(blob->seen_ns) &&
      compiled(*blob, pc, out)) {
    return;
  }
  out.push_back(frame(pc, cfa, stack));
}

FrameHandle JvmProcess::frame(std::uint64_t pc, std::uint64_t cfa, const StackCopy& stack) {
  Blob* blob = blob_at(pc);
  if (!blob) return nullptr;
  if (blob->kind == BlobKind::nmethod && unverifiable(blob->seen_ns)) {
    // Compiled after the sample was taken, maybe where its code was.
    if (!unknown_method_) unknown_method_ = make_frame("[unknown Java method]", "");
    return unknown_method_;
  }
  std::uint64_t method = 0, bcp = 0;
  if (blob->kind == BlobKind::interpreter && cfa > kInterpreterBcpBelowCfa &&
      stack.word(cfa - kInterpreterMethodBelowCfa, method) && method != 0) {
    stack.word(cfa - kInterpreterBcpBelowCfa, bcp);  // no line without it
    if (FrameHandle frame = interpreted(method, bcp)) return frame;
  }
  return name(*blob);
}

}  // namespace ember::jvm

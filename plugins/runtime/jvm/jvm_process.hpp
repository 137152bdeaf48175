// One HotSpot VM as the JVM plugin sees it, over its memory: the vmStructs
// layout (read once, when the VM has set its tables up), the code cache's
// heaps, and a cache of the CodeBlobs that samples ran in, with their names
// and how to unwind their frames.
//
// Compiled code comes and goes (methods compiled, recompiled, unloaded, the
// cache swept), so a cached nmethod is checked against the live VM once per
// sample that uses it (its heap block still in use, the same name, code
// start, Method* and compile id), and looked up afresh when it changed. The
// interpreter, stubs and adapters stay for the VM's life and are not checked
// again: each check is a process_vm_readv, the plugin's main cost. A cached
// method is checked by the words its name is read through (its ConstMethod*,
// constant pool, holder class and the class' name Symbol*), and named afresh
// when the VM may have unloaded classes since it was named (a class defined
// again, or one of the same shape, can take the very addresses of one
// unloaded).
//
// A sample is named when the agent reads it, which may be well after it was
// taken (a busy agent, a full ring): its code and methods may have been
// unloaded and their addresses reused by then, which takes a collection.
// So a blob or method first known after the sample was taken names it only
// when the VM has run no collection since the sample (else "[unknown Java
// method]" / "[interpreted Java]"); those known before it and unchanged since
// were there when it was taken.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "code_cache.hpp"
#include "ember/frame.hpp"
#include "ember/status.hpp"
#include "ember/unwind_rule.hpp"
#include "hotspot_layout.hpp"
#include "method_names.hpp"
#include "remote_memory.hpp"
#include "vm_structs.hpp"

namespace ember::jvm {

// The sample's copy of the thread's stack, from its sp up.
struct StackCopy {
  std::uint64_t sp = 0;
  std::span<const unsigned char> bytes;
  bool word(std::uint64_t address, std::uint64_t& out) const;
};

class JvmProcess {
 public:
  // CLOCK_MONOTONIC in ns, as samples are stamped (a test's own clock).
  using Clock = std::uint64_t (*)();
  static std::uint64_t monotonic_ns();

  explicit JvmProcess(RemoteMemory& memory, Clock clock = monotonic_ns)
      : memory_(memory), clock_(clock) {}

  // Reads what is not read yet: the layout (once), then the code heaps.
  // Ok once both are known; an error saying what is missing until then
  // (a VM still starting has no code cache yet).
  Status refresh(const VmStructsSymbols& symbols, std::uint64_t bias);
  // Takes `layout` as the VM's instead of reading its tables (the fuzz
  // target's way in to the code cache and method readers).
  void set_layout(const HotSpotLayout& layout) {
    layout_ = layout;
    have_layout_ = true;
  }
  bool ready() const { return ready_; }
  // The VM's tables were read but lack a field the plugin needs: final.
  bool unsupported() const { return unsupported_; }
  const std::vector<CodeHeap>& heaps() const { return code_cache_.heaps(); }
  // Where the VM's code is: the space reserved for its heaps when it says
  // (a heap it had not added yet when read is in there), else the heaps.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> code_spans() const;
  // The reserve's size; 0 when the VM does not export its bounds.
  std::uint64_t code_reserve_bytes() const {
    return code_cache_.reserve_high() - code_cache_.reserve_low();
  }
  const HotSpotLayout& layout() const { return layout_; }
  // "17.0.15+6-Debian-1deb12u1", when the VM exports it.
  const std::string& version() const { return version_; }

  // How to step over the frame of code at `pc` (a code cache address).
  bool unwind_rule(std::uint64_t pc, UnwindRule& rule);
  // The frames of `pc`, innermost first, appended to `out`: nothing for an
  // address in no blob; for compiled code the methods inlined at `pc` (its
  // nmethod's scope at the next PcDesc: a call's return address, or the
  // next safepoint after a leaf pc), marked inlined, then the compiled
  // method, each at the line of its bci. Else as frame().
  void frames(std::uint64_t pc, std::uint64_t cfa, const StackCopy& stack,
              std::vector<FrameHandle>& out);
  // The frame naming `pc`, nullptr for an address in no blob. An
  // interpreter frame is named by the method it runs where its CFA is known
  // and its Method* slot is in `stack` (else "[interpreted Java]"), with the
  // line of the bytecode its bcp slot points at (the last call or safepoint
  // the interpreter saved it at, in the leaf frame).
  FrameHandle frame(std::uint64_t pc, std::uint64_t cfa = 0, const StackCopy& stack = {});
  // The sample being named was taken at `taken_ns` (CLOCK_MONOTONIC);
  // without it a sample counts as taken now.
  void sample_taken(std::uint64_t taken_ns) { sample_ns_ = taken_ns; }
  // Blobs are checked against the VM again from the next sample on.
  void next_sample() {
    ++generation_;
    sample_ns_ = kTakenNow;
  }

  std::size_t cached_blobs() const { return blobs_.size(); }
  std::size_t cached_methods() const { return methods_.size(); }
  // The heap the caches hold, estimated from their entries, vectors and
  // strings and the frames they made (not the allocator's own overhead).
  std::size_t cache_bytes() const;

 private:
  enum class BlobKind { nmethod, interpreter, other };
  struct PcEntry {
    std::int32_t pc_offset = 0;  // from code_begin
    std::int32_t scope = 0;      // its scope record's offset in the scope data; 0: none
  };
  struct Blob {
    BlobInfo info;
    BlobKind kind = BlobKind::other;
    std::uint64_t checked = 0;  // the generation it was last checked in
    std::uint64_t seen_ns = 0;  // when it was found (it existed from then on)
    FrameHandle frame;          // named on first use
    bool pcs_read = false;
    std::vector<PcEntry> pcs;   // sorted by pc_offset, as HotSpot writes them
    std::unordered_map<std::int32_t, std::vector<FrameHandle>> scopes;  // by PcEntry::scope
  };

  // HotSpotLayout::has_unload_epoch's values: changed, classes may have
  // been unloaded.
  struct UnloadEpoch {
    std::uint32_t collections = 0;
    std::uint64_t newest_loader = 0;
    bool operator==(const UnloadEpoch&) const = default;
  };

  struct Method {
    MethodIdentity identity;  // what it had when named: changed = another method
    UnloadEpoch epoch;        // the VM's when named: changed = named afresh
    std::uint64_t checked = 0;
    std::uint64_t named_ns = 0;  // since when it is known as it is
    std::string name;
    std::string file;
    Bytecodes code;
    std::vector<LineEntry> lines;
    std::unordered_map<std::uint64_t, FrameHandle> frames;  // by line * 2 + inlined
  };

  Blob* blob_at(std::uint64_t pc);
  // `pc` is in the heaps' reserve but in none of the heaps read: those
  // added since are read (at most every kHeapsRereadNs). Whether one holds it.
  bool heap_added_for(std::uint64_t pc);
  // The named method at `method`, checked once per sample; nullptr when it
  // is not a readable Method*.
  Method* method_at(std::uint64_t method);
  FrameHandle method_frame(Method& method, std::int64_t bci, bool inlined);
  FrameHandle interpreted(std::uint64_t method, std::uint64_t bcp);
  bool compiled(Blob& blob, std::uint64_t pc, std::vector<FrameHandle>& out);
  bool still_there(const Blob& blob);
  // The VM's unload epoch, read once per sample (zero when not described).
  const UnloadEpoch& unload_epoch();
  // Whether what is known as it is since `known_ns` may not be what the
  // sample ran: the sample is older, and the VM collected since it.
  bool unverifiable(std::uint64_t known_ns);
  bool read_blob(std::uint64_t address, BlobInfo& out);
  const std::string& blob_name(std::uint64_t name_address);
  FrameHandle name(Blob& blob);

  RemoteMemory& memory_;
  bool have_layout_ = false;
  bool ready_ = false;
  bool unsupported_ = false;
  HotSpotLayout layout_;
  std::string version_;
  CodeCache code_cache_;
  std::map<std::uint64_t, Blob> blobs_;  // by code_begin
  std::unordered_map<std::uint64_t, std::string> blob_names_;  // by _name's address
  std::unordered_map<std::uint64_t, Method> methods_;          // interpreted, by Method*
  std::uint64_t generation_ = 1;
  std::uint64_t collected_heap_ = 0;  // the VM's CollectedHeap*, once set up
  UnloadEpoch epoch_;
  std::uint64_t epoch_generation_ = 0;  // the generation epoch_ was read in
  bool epoch_read_ = false;
  // When the collection count was first seen at its value: no collection
  // since then. 0 when it was 0 at the first read (none ever).
  std::uint64_t collections_since_ns_ = 0;
  static constexpr std::uint64_t kTakenNow = ~std::uint64_t{0};
  std::uint64_t sample_ns_ = kTakenNow;
  Clock clock_;
  static constexpr std::uint64_t kHeapsRereadNs = 100'000'000;
  std::uint64_t heaps_read_ns_ = 0;
  FrameHandle unknown_method_;  // a compiled method's frame that cannot be vouched for
};

}  // namespace ember::jvm

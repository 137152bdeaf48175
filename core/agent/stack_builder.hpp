// Turns one sample record into one merged stack, root first: native user
// frames, each named by the handler that claims its address or else by the
// native role, with the interpreter's frames spliced in at its eval-loop
// frames, then the kernel frames.
//
// In two steps, because a process can exit a moment after its sample:
// capture() does what needs the live process (unwinding, the handlers that
// read its memory: address symbolizers, interpreter frames, labels) as the
// sample comes off the ring buffer; finish() does the rest (native names
// from the binaries' symbols and DWARF, which may be slow the first time an
// address is seen; the merge; kernel names), later if need be.
#pragma once

#include <cstdint>
#include <functional>
#include <unordered_set>
#include <vector>

#include "ember/bpf/sample.h"
#include "ember/runtime_plugin.hpp"
#include "process/process_table.hpp"

namespace ember {

// True when a plausible user address of `stack` lies outside every mapping
// in `mappings` and is not in `known_unmapped` (walk garbage seen before).
bool outside_known_mappings(const NativeStack& stack, const std::vector<Mapping>& mappings,
                            const std::unordered_set<std::uint64_t>& known_unmapped);

// What capture() took from a sample and its live process.
struct CapturedStack {
  NativeStack native;  // the user stack as unwound, leaf first
  // Frames the claiming handlers gave native frame i: claimed[claimed_first[i]]
  // up to claimed_first[i + 1]; none = the native role names it in finish().
  std::vector<FrameHandle> claimed;
  std::vector<std::uint32_t> claimed_first;  // native.leaf_first.size() + 1 entries
  ProcessHandler* interpreter = nullptr;     // whose groups these are (its program ran)
  RuntimeFrameGroups groups;
  std::uint64_t user_sp = 0;
  std::uint32_t flags = 0;                   // ember_sample::flags
  std::vector<__u64> kernel_frames;          // leaf first
};

class StackBuilder {
 public:
  // Asked when a sample has a user address outside every mapping the host
  // knows of its process (a dlopen, JIT code) before its frames are named;
  // returns whether the process' mappings were read again (the agent
  // re-probes, rate-limited).
  using UnknownCode = std::function<bool(ProcessState&)>;

  // `kernel` names kernel addresses (the native plugin); may be null.
  explicit StackBuilder(RuntimePlugin* kernel, UnknownCode unknown_code = {});

  // capture() then finish().
  void build(const ember_sample& sample, ProcessState& process,
             std::vector<FrameHandle>& root_first);

  // The parts of the stack that need the process alive, into `out`.
  void capture(const ember_sample& sample, ProcessState& process, CapturedStack& out);
  // The merged stack of a captured sample of `process` (whose handlers are
  // those that captured it).
  void finish(const CapturedStack& captured, ProcessState& process,
              std::vector<FrameHandle>& root_first);

 private:
  // One frame's way to its name.
  struct Route {
    const std::vector<FrameHandle>* cached = nullptr;  // the host's cache had it
    std::size_t owner = SIZE_MAX;                      // else the claimer's batch, or native
    std::size_t index = 0;                             // in that batch
    bool cacheable = false;
  };
  // One claiming handler's addresses of this sample.
  struct Batch {
    std::vector<NativeFrame> native;
    std::vector<std::vector<FrameHandle>> frames;
  };

  void name_claimed(const ember_sample& sample, ProcessState& process, CapturedStack& out);
  void note_unknown_code(const ember_sample& sample, ProcessState& process, NativeStack& stack);
  // The native user frames, named, into user_frames_ (leaf first).
  void name_user_stack(const CapturedStack& captured, ProcessState& process);

  RuntimePlugin* kernel_;
  UnknownCode unknown_code_;
  FrameHandle truncated_;
  CapturedStack scratch_;  // build()'s
  std::vector<Route> routes_;
  std::vector<Batch> batches_;
  std::vector<FrameHandle> kernel_frames_;
  std::vector<FrameHandle> user_frames_;
  std::vector<std::uint64_t> user_cfas_;  // each user frame's CFA (0 = unknown)
  std::vector<FrameHandle> merged_;
};

}  // namespace ember

// Turns one sample record into one merged stack, root first: native user
// frames, each named by the handler that claims its address or else by the
// native role, with the interpreter's frames spliced in at its eval-loop
// frames, then the kernel frames.
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

class StackBuilder {
 public:
  // Asked when a sample has a user address outside every mapping the host
  // knows of its process (a dlopen, JIT code) before its frames are named;
  // returns whether the process' mappings were read again (the agent
  // re-probes, rate-limited).
  using UnknownCode = std::function<bool(ProcessState&)>;

  // `kernel` names kernel addresses (the native plugin); may be null.
  explicit StackBuilder(RuntimePlugin* kernel, UnknownCode unknown_code = {});

  void build(const ember_sample& sample, ProcessState& process,
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

  // The native role's user stack, named, into user_frames_ (leaf first).
  void name_user_stack(const ember_sample& sample, ProcessState& process);
  void name_routed(const ember_sample& sample, ProcessState& process);
  void note_unknown_code(ProcessState& process);

  RuntimePlugin* kernel_;
  UnknownCode unknown_code_;
  FrameHandle truncated_;
  NativeStack native_;
  std::vector<Route> routes_;
  std::vector<Batch> batches_;
  std::vector<FrameHandle> kernel_frames_;
  std::vector<FrameHandle> user_frames_;
  std::vector<std::uint64_t> user_cfas_;  // each user frame's CFA (0 = unknown)
  std::vector<FrameHandle> merged_;
  RuntimeFrameGroups groups_;
};

}  // namespace ember

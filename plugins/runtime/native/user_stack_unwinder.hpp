// The user stack of one sample as code addresses, leaf first: index 0 is the
// exact IP, the others return addresses (not yet moved back into the call),
// with each frame's CFA where CFI gave it.
//
// Samples with a stack snapshot are unwound by CFI (DwarfUnwinder). In a
// process on the cheap path the snapshot is the small leaf copy: CFI names
// the leaf's caller (which a leaf without a frame pointer hides from the
// frame-pointer walk) and as soon as a frame that keeps its frame pointer is
// reached (by its CFI, or for code without CFI by the unwind rule of the
// plugin claiming it: Go), the kernel's frame-pointer walk continues from it
// (matched by the rbp value, not by address). A process on the full path is unwound by CFI
// to the end; where the snapshot ends first, the frames reached are kept and
// the stack is marked truncated. Without a snapshot: the frame-pointer walk.
//
// Also decides, from the objects the process maps, whether the sampler
// copies the full snapshot for it (snapshot_policy.hpp).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dwarf_unwinder.hpp"
#include "ember/bpf/sample.h"
#include "ember/host.hpp"
#include "ember/runtime_plugin.hpp"
#include "snapshot_policy.hpp"

namespace ember::native {

// Garbage from a frame-pointer walk through code built without frame
// pointers is often tiny or beyond user space: no maps refresh will find it.
inline bool could_be_mapped(std::uint64_t address) {
  return address >= 0x1000 && address < (std::uint64_t{1} << 56);
}

class UserStackUnwinder {
 public:
  UserStackUnwinder(std::uint32_t pid, std::string root, std::shared_ptr<UnwindObjectCache> cache,
                    Host& host, SnapshotMode mode);
  ~UserStackUnwinder();

  // New mappings: re-decides the snapshot path and tells the sampler.
  // In "auto" mode the samples have a say too (CheapPathJudge): a process
  // whose cheap-path stacks end truncated too often moves to the full
  // snapshot for good. Until the judge has seen its first window, a process
  // the objects put on the cheap path is on probation: the sampler copies
  // its whole stack, each sample is unwound as on the cheap path, and one
  // that ends truncated there is unwound whole by CFI instead. Its first
  // stacks are complete however long the judging takes (a worker running
  // behind as the process starts working).
  void set_maps(std::shared_ptr<const std::vector<Mapping>> maps);
  void set_maps(const std::vector<Mapping>& maps) {
    set_maps(std::make_shared<const std::vector<Mapping>>(maps));
  }
  // Whether the code at `pc` has CFI.
  bool has_cfi(std::uint64_t pc) { return dwarf_.has_cfi(pc); }

  // Frees the unwinding caches (DwarfUnwinder::drop_state); the snapshot
  // decision stays. The next unwind rebuilds them.
  void drop_state();
  bool holds_state() const { return dwarf_.holds_state(); }

  // `truncated`: the stack goes on beyond the last frame. Appends to `frames`.
  void unwind(const ember_sample& sample, std::vector<NativeFrame>& frames, bool& truncated);

 private:
  // `full`: CFI to the end; else hands over to the frame-pointer walk.
  void unwind_as(const ember_sample& sample, bool full, std::vector<NativeFrame>& frames,
                 bool& truncated);
  // Where the frame-pointer walk (sample.user_frames) continues the CFI
  // frames after `frame`, or 0 when it cannot be trusted to.
  std::size_t frame_pointer_continuation(const UnwoundFrame& frame) const;
  void set_full_snapshot(bool full);
  void judge_cheap_path(bool truncated);
  void frame_pointer_chain(const ember_sample& sample);
  // Appends the frame-pointer walk's frames from `from` on, through signal
  // frames where the interrupted code keeps an rbp frame; false where the
  // walk cannot go on past one (the stack is truncated there).
  bool append_frame_pointer_walk(const ember_sample& sample, std::size_t from,
                                 std::vector<NativeFrame>& frames, bool after_signal = false);
  // Whether the code a return address is in keeps no rbp frame there, by
  // the unwind rule of the plugin owning it.
  bool keeps_no_frame(std::uint64_t return_address) const;

  std::uint32_t pid_;
  Host& host_;
  SnapshotMode mode_;
  DwarfUnwinder dwarf_;
  bool full_snapshot_ = false;       // unwound by CFI to the end
  bool copies_whole_stack_ = false;  // the flag the sampler has
  bool flag_set_ = false;
  bool full_by_evidence_ = false;
  bool on_probation_ = false;
  bool judged_ = false;  // the judge has seen a whole window or moved it
  CheapPathJudge judge_;
  std::vector<UnwoundFrame> frames_;
  std::vector<std::uint64_t> chain_;  // rbp values the frame-pointer walk went through
  const ember_sample* sample_ = nullptr;
};

}  // namespace ember::native

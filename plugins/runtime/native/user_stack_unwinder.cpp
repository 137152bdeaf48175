#include "user_stack_unwinder.hpp"

#include <algorithm>
#include <cstring>

namespace ember::native {
namespace {

// A 64 KiB snapshot holds ~500 small frames; a runaway unwind stops here.
constexpr std::size_t kMaxFrames = 512;

}  // namespace

UserStackUnwinder::UserStackUnwinder(std::uint32_t pid, std::string root,
                                     std::shared_ptr<UnwindObjectCache> cache, Host& host,
                                     SnapshotMode mode)
    : pid_(pid), host_(host), mode_(mode), dwarf_(pid, std::move(root), std::move(cache), host) {}

UserStackUnwinder::~UserStackUnwinder() {
  // The host drops the process' BPF entry when it exits; nothing to undo here.
}

void UserStackUnwinder::set_maps(std::shared_ptr<const std::vector<Mapping>> maps) {
  dwarf_.set_maps(std::move(maps));
  std::vector<MappedCode> code;
  std::vector<std::pair<std::string, const UnwindObject*>> objects;
  if (mode_ == SnapshotMode::automatic) objects = dwarf_.executable_objects();
  for (const auto& [path, object] : objects) {
    code.push_back({path, object && object->has_eh_frame() ? &object->frame_pointers() : nullptr});
  }
  bool full = full_by_evidence_ || needs_full_snapshot(mode_, code);
  on_probation_ = !full && mode_ == SnapshotMode::automatic && !judged_;
  set_full_snapshot(full);
}

void UserStackUnwinder::drop_state() {
  dwarf_.drop_state();
  frames_ = {};
  chain_ = {};
}

void UserStackUnwinder::set_full_snapshot(bool full) {
  bool copy_whole = full || on_probation_;
  full_snapshot_ = full;
  if (copy_whole == copies_whole_stack_ && flag_set_) return;
  if (Status status = host_.set_process_flags(pid_, EMBER_PROCESS_STACK_SNAPSHOT, copy_whole);
      !status) {
    host_.log(LogLevel::debug, "pid " + std::to_string(pid_) +
                                   ": cannot set the stack snapshot flag: " + status.message());
  }
  copies_whole_stack_ = copy_whole;
  flag_set_ = true;
}

void UserStackUnwinder::judge_cheap_path(bool truncated) {
  bool moves = judge_.truncated_too_often(truncated);
  if (!moves && judge_.samples() < CheapPathJudge::kWindow) return;
  bool was_on_probation = on_probation_;
  judged_ = true;
  on_probation_ = false;
  if (!moves) {
    if (was_on_probation) set_full_snapshot(false);
    return;
  }
  host_.log(LogLevel::info, "pid " + std::to_string(pid_) + ": " +
                                std::to_string(judge_.truncated()) + " of " +
                                std::to_string(judge_.samples()) +
                                " stacks ended in code without frame pointers: "
                                "switching to full stack snapshots");
  full_by_evidence_ = true;
  set_full_snapshot(true);
}

void UserStackUnwinder::frame_pointer_chain(const ember_sample& sample) {
  chain_.clear();
  std::uint64_t size = std::min<std::uint64_t>(sample.snapshot_size, EMBER_MAX_STACK_SNAPSHOT);
  std::uint64_t bp = sample.user_bp;
  std::uint32_t walked = std::min<std::uint32_t>(sample.user_frame_count, EMBER_MAX_USER_FRAMES);
  // user_frames[k + 1] is the return address at chain_[k] + 8.
  while (chain_.size() + 1 < walked) {
    chain_.push_back(bp);
    if (bp < sample.user_sp || bp - sample.user_sp + 8 > size) break;
    std::memcpy(&bp, sample.stack_snapshot + (bp - sample.user_sp), 8);
  }
}

std::size_t UserStackUnwinder::frame_pointer_continuation(const UnwoundFrame& frame) const {
  if (!frame.bp_known) return 0;
  auto at = std::find(chain_.begin(), chain_.end(), frame.bp);
  if (at == chain_.end()) return 0;
  // rbp below sp is on another stack: only code whose plugin takes its CFA
  // from rbp (it moved sp to another stack, as Go's vDSO calls do) goes on
  // from there.
  const bool bp_below_sp = frame.bp < frame.sp;
  // rbp is this function's own frame only if its CFI says it keeps one, or,
  // for code without CFI (Go), the unwind rule of the plugin claiming it
  // puts the saved rbp and the return address right above rbp.
  std::uint64_t pc = frame.exact ? frame.ip : frame.ip - 1;  // a return address: its call
  std::uint64_t bias = 0;
  const UnwindObject* object = const_cast<DwarfUnwinder&>(dwarf_).object_at(pc, &bias);
  bool rbp_frame = object && object->frame_pointers().rbp_frame_at(pc - bias);
  if (rbp_frame && bp_below_sp) return 0;
  if (!rbp_frame) {
    UnwindRule rule;
    if (!host_.unwind_rule(pid_, pc, rule) || !rule.saves_bp ||
        rule.saved_bp_offset != -16 || rule.return_address_offset != -8 ||
        (bp_below_sp && rule.cfa_base != UnwindRule::CfaBase::bp)) {
      return 0;
    }
    std::uint64_t base = rule.cfa_base == UnwindRule::CfaBase::sp ? frame.sp : frame.bp;
    if (base + static_cast<std::uint64_t>(static_cast<std::int64_t>(rule.cfa_offset)) !=
        frame.bp + 16) {
      return 0;
    }
  }
  return static_cast<std::size_t>(at - chain_.begin()) + 1;
}

bool UserStackUnwinder::keeps_no_frame(std::uint64_t return_address) const {
  UnwindRule rule;
  return host_.unwind_rule(pid_, return_address - 1, rule) && !rule.saves_bp &&
         rule.cfa_base == UnwindRule::CfaBase::sp;
}

bool UserStackUnwinder::append_frame_pointer_walk(const ember_sample& sample, std::size_t from,
                                                  std::vector<NativeFrame>& frames,
                                                  bool after_signal) {
  std::uint32_t count = std::min<std::uint32_t>(sample.user_frame_count, EMBER_MAX_USER_FRAMES);
  bool addresses = sample.flags & EMBER_SAMPLE_HAS_FRAME_ADDRESSES;
  for (std::size_t i = from; i < count; ++i) {
    // A return address that cannot be in user space means the walk left
    // the real chain: the rest is garbage, not frames.
    if (i > 0 && !could_be_mapped(sample.user_frames[i])) break;
    // Where the sampler recorded the frame pointer each frame ran with, its
    // CFA is above the saved rbp and the return address.
    std::uint64_t fp = addresses ? sample.user_frame_addresses[i] : 0;
    frames.push_back(NativeFrame{sample.user_frames[i], fp != 0 ? fp + 16 : 0});
    // Below a signal handler the chain runs through code a signal can stop
    // anywhere: where the owner of a frame's code says it keeps no rbp
    // frame (a Go callback's frame on the goroutine stack), rbp leads
    // elsewhere, and the walk stops after it.
    if (after_signal && i > 0 && i + 1 < count && keeps_no_frame(sample.user_frames[i])) {
      return false;
    }
    if (i > 0 && dwarf_.is_signal_return(sample.user_frames[i])) {
      frames.back().pc += 1;  // named at the trampoline, not the code before it
      // The handler's outermost frame kept rbp: the ucontext is above its
      // return address. The walk goes on only where the interrupted code
      // keeps its own rbp frame; otherwise its caller is unknown here.
      DwarfUnwinder::Registers interrupted;
      if (!addresses || !dwarf_.interrupted_registers(
                            sample, sample.user_frame_addresses[i - 1] + 16, interrupted)) {
        return false;
      }
      frames.push_back(NativeFrame{interrupted.ip + 1, 0});  // exact: +1 undoes the move back
      UnwoundFrame at{interrupted.ip, interrupted.sp, interrupted.bp, true, true};
      if (frame_pointer_continuation(at) != i + 1) return false;
      after_signal = true;
    }
  }
  // The sampler's walk ended at its bound, not at the stack's root.
  return !(sample.flags & EMBER_SAMPLE_USER_TRUNCATED);
}

void UserStackUnwinder::unwind(const ember_sample& sample, std::vector<NativeFrame>& frames,
                               bool& truncated) {
  bool cheap = !full_snapshot_;
  std::size_t start = frames.size();
  unwind_as(sample, !cheap, frames, truncated);
  if (!cheap || mode_ != SnapshotMode::automatic) return;
  bool retry = on_probation_ && truncated;
  judge_cheap_path(truncated);
  if (!retry) return;
  // On probation the snapshot is whole: what the cheap path cuts short,
  // CFI may take to the root. Unwound after the cheap frames, which it
  // replaces only if it got further.
  const std::size_t cheap_end = frames.size();
  bool whole_truncated = false;
  unwind_as(sample, true, frames, whole_truncated);
  if (whole_truncated) {
    frames.resize(cheap_end);
    return;
  }
  frames.erase(frames.begin() + static_cast<std::ptrdiff_t>(start),
               frames.begin() + static_cast<std::ptrdiff_t>(cheap_end));
  truncated = false;
}

void UserStackUnwinder::unwind_as(const ember_sample& sample, bool full,
                                  std::vector<NativeFrame>& frames, bool& truncated) {
  truncated = false;
  chain_.clear();
  if (!(sample.flags & EMBER_SAMPLE_HAS_SNAPSHOT) || sample.snapshot_size == 0) {
    truncated = !append_frame_pointer_walk(sample, 0, frames);
    return;
  }
  frame_pointer_chain(sample);
  std::size_t continuation = 0;
  // On the cheap path, hand over to the frame-pointer walk at the first
  // frame that keeps a frame pointer; on the full path, only where CFI stops.
  DwarfUnwinder::StopAt stop;
  if (!full) {
    stop = [&](const std::vector<UnwoundFrame>& unwound) {
      if (unwound.size() < 2) return false;
      continuation = frame_pointer_continuation(unwound.back());
      return continuation != 0;
    };
  }
  UnwindEnd end = dwarf_.unwind(sample, kMaxFrames, frames_, stop);
  if (end == UnwindEnd::failed && frames_.size() <= 1) {
    // No CFI for the sampled code (JIT code its plugin gives no unwind rule
    // for, vdso): the frame-pointer walk is all there is.
    truncated = !append_frame_pointer_walk(sample, 0, frames) || full;
    return;
  }
  // A frame's CFA is the sp its caller unwound to. Above frame 0 an exact
  // ip gets 1 more: the caller moves every one of them back into its call.
  for (std::size_t k = 0; k < frames_.size(); ++k) {
    frames.push_back(NativeFrame{frames_[k].ip + (k > 0 && frames_[k].exact),
                                 k + 1 < frames_.size() ? frames_[k + 1].sp : 0});
  }
  if (end == UnwindEnd::failed) continuation = frame_pointer_continuation(frames_.back());
  if (continuation != 0) {
    // The frame handing over keeps an rbp frame: its CFA is above the
    // saved rbp and the return address.
    frames.back().cfa = frames_.back().bp + 16;
    bool after_signal = std::any_of(frames_.begin() + 1, frames_.end(),
                                    [](const UnwoundFrame& f) { return f.exact; });
    truncated = !append_frame_pointer_walk(sample, continuation, frames, after_signal);
  } else {
    truncated = end == UnwindEnd::failed;
  }
}

}  // namespace ember::native

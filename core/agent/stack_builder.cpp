#include "stack_builder.hpp"

#include <algorithm>

#include "frame_group_merge.hpp"

namespace ember {
namespace {

// Garbage from a frame-pointer walk through code built without frame
// pointers is often tiny or beyond user space: no mapping will hold it.
bool could_be_mapped(std::uint64_t address) {
  return address >= 0x1000 && address < (std::uint64_t{1} << 56);
}

// Walk garbage remembered per process, at most.
constexpr std::size_t kMaxUnmappedPcs = 1024;

}  // namespace


bool outside_known_mappings(const NativeStack& stack, const std::vector<Mapping>& mappings,
                            const std::unordered_set<std::uint64_t>& known_unmapped) {
  const Mapping* last = nullptr;
  for (const NativeFrame& frame : stack.leaf_first) {
    if (!could_be_mapped(frame.pc) || (last && last->contains(frame.pc))) continue;
    last = find_mapping(mappings, frame.pc);
    if (!last && !known_unmapped.count(frame.pc)) return true;
  }
  return false;
}

StackBuilder::StackBuilder(RuntimePlugin* kernel, UnknownCode unknown_code)
    : kernel_(kernel),
      unknown_code_(std::move(unknown_code)),
      truncated_(std::make_shared<const Frame>(
          Frame{"[truncated]", "", "", 0, frame_kind::unknown, false})) {}

void StackBuilder::note_unknown_code(const ember_sample& sample, ProcessState& process,
                                     NativeStack& stack) {
  if (!unknown_code_(process)) return;
  // The maps were read again: unwound over them, the sample reaches through
  // what was mapped since the last read (a new program's libraries, which
  // its loader maps after the exec the process was attached at).
  stack.leaf_first.clear();
  stack.truncated = false;
  process.native->unwind_user(sample, stack);
  // Still outside after a fresh read: walk garbage, not worth another read.
  for (const NativeFrame& frame : stack.leaf_first) {
    if (!could_be_mapped(frame.pc) || find_mapping(process.mappings, frame.pc)) continue;
    if (process.unmapped_pcs.size() >= kMaxUnmappedPcs) process.unmapped_pcs.clear();
    process.unmapped_pcs.insert(frame.pc);
  }
}

void StackBuilder::capture(const ember_sample& sample, ProcessState& process, CapturedStack& out) {
  out.native.leaf_first.clear();
  out.native.truncated = false;
  out.claimed.clear();
  out.claimed_first.clear();
  out.interpreter = nullptr;
  out.groups.clear();
  out.user_sp = sample.user_sp;
  out.flags = sample.flags;
  std::uint32_t kernel_count =
      std::min<std::uint32_t>(sample.kernel_frame_count, EMBER_MAX_KERNEL_FRAMES);
  out.kernel_frames.assign(sample.kernel_frames, sample.kernel_frames + kernel_count);

  if (process.native) {
    process.native->unwind_user(sample, out.native);
    if (unknown_code_ &&
        outside_known_mappings(out.native, process.mappings, process.unmapped_pcs)) {
      note_unknown_code(sample, process, out.native);
    }
    if (!process.code_claims.empty()) name_claimed(sample, process, out);
  }
  // Frame groups come from the one handler whose BPF program ran.
  if (ProcessHandler* interpreter = process.interpreter(sample.runtime_program)) {
    out.interpreter = interpreter;
    interpreter->symbolize_runtime(sample, out.groups);
  }
}

// Each address goes to the handler claiming it, all of one handler's in one
// call; answers the host cached are not asked again. An address its claimer
// left unnamed, and any address nobody claims, is the native role's (in
// finish()).
void StackBuilder::name_claimed(const ember_sample& sample, ProcessState& process,
                                CapturedStack& out) {
  const CodeClaims& claims = process.code_claims;
  const auto& frames = out.native.leaf_first;
  routes_.assign(frames.size(), Route{});
  if (batches_.size() < claims.owners().size()) batches_.resize(claims.owners().size());
  for (Batch& batch : batches_) batch.native.clear();
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const CodeClaims::Segment* segment = claims.find(frames[i].pc);
    if (!segment) continue;
    Route& route = routes_[i];
    route.cacheable = segment->cacheable;
    if (segment->cacheable) route.cached = process.code_names.find(frames[i].pc);
    if (route.cached) continue;
    Batch& batch = batches_[segment->owner];
    route.owner = segment->owner;
    route.index = batch.native.size();
    batch.native.push_back(frames[i]);
  }
  for (std::size_t owner = 0; owner < claims.owners().size(); ++owner) {
    Batch& batch = batches_[owner];
    if (batch.native.empty()) continue;
    batch.frames.resize(batch.native.size());
    for (auto& named : batch.frames) named.clear();
    ProcessHandler* handler = claims.owners()[owner];
    handler->symbolize_frames(sample, batch.native, batch.frames);
    batch.frames.resize(batch.native.size());  // a handler that resized them
  }
  out.claimed_first.reserve(frames.size() + 1);
  for (std::size_t i = 0; i < frames.size(); ++i) {
    out.claimed_first.push_back(static_cast<std::uint32_t>(out.claimed.size()));
    const Route& route = routes_[i];
    if (route.cached) {
      out.claimed.insert(out.claimed.end(), route.cached->begin(), route.cached->end());
    } else if (route.owner != SIZE_MAX) {
      const auto& named = batches_[route.owner].frames[route.index];
      out.claimed.insert(out.claimed.end(), named.begin(), named.end());
    }
  }
  out.claimed_first.push_back(static_cast<std::uint32_t>(out.claimed.size()));
  // Remembered last: a full cache starts over, which would drop the
  // entries `cached` points to.
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const Route& route = routes_[i];
    if (route.owner == SIZE_MAX || !route.cacheable) continue;
    const auto& named = batches_[route.owner].frames[route.index];
    if (named.empty()) continue;
    if (const Mapping* mapping = find_mapping(process.mappings, frames[i].pc)) {
      process.code_names.remember(frames[i].pc, *mapping, named);
    }
  }
}

void StackBuilder::name_user_stack(const CapturedStack& captured, ProcessState& process) {
  const auto& frames = captured.native.leaf_first;
  const bool routed = captured.claimed_first.size() == frames.size() + 1;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    std::uint32_t first = routed ? captured.claimed_first[i] : 0;
    std::uint32_t end = routed ? captured.claimed_first[i + 1] : 0;
    if (first < end) {
      user_frames_.insert(user_frames_.end(), captured.claimed.begin() + first,
                          captured.claimed.begin() + end);
    } else if (process.native) {
      process.native->symbolize_native(frames[i].pc, user_frames_);
    }
    user_cfas_.resize(user_frames_.size(), frames[i].cfa);  // its inlined functions' too
  }
  if (captured.native.truncated) {
    user_frames_.push_back(truncated_);
    user_cfas_.push_back(0);
  }
}

void StackBuilder::build(const ember_sample& sample, ProcessState& process,
                         std::vector<FrameHandle>& root_first) {
  capture(sample, process, scratch_);
  finish(scratch_, process, root_first);
}

void StackBuilder::finish(const CapturedStack& captured, ProcessState& process,
                          std::vector<FrameHandle>& root_first) {
  root_first.clear();
  kernel_frames_.clear();
  user_frames_.clear();
  user_cfas_.clear();

  name_user_stack(captured, process);

  const std::vector<FrameHandle>* user = &user_frames_;
  if (captured.interpreter) {
    merged_.clear();
    merge_interpreter_frames(user_frames_, user_cfas_, captured.user_sp, captured.groups,
                             *captured.interpreter, merged_);
    user = &merged_;
  }

  // A native unwinder says itself whether the user stack goes on (the
  // sampler's frame-pointer walk may have run to its bound through garbage
  // the unwinder replaced).
  bool truncated = (captured.flags & EMBER_SAMPLE_RUNTIME_TRUNCATED) ||
                   (!process.native && (captured.flags & EMBER_SAMPLE_USER_TRUNCATED));
  if (truncated && !user->empty()) root_first.push_back(truncated_);
  root_first.insert(root_first.end(), user->rbegin(), user->rend());

  if (kernel_ && !captured.kernel_frames.empty()) {
    kernel_->symbolize_kernel(captured.kernel_frames, kernel_frames_);
    if ((captured.flags & EMBER_SAMPLE_KERNEL_TRUNCATED) && user->empty()) {
      root_first.push_back(truncated_);
    }
    root_first.insert(root_first.end(), kernel_frames_.rbegin(), kernel_frames_.rend());
  }
}

}  // namespace ember

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

void StackBuilder::note_unknown_code(ProcessState& process) {
  if (!unknown_code_(process)) return;
  // Still outside after a fresh read: walk garbage, not worth another read.
  for (const NativeFrame& frame : native_.leaf_first) {
    if (!could_be_mapped(frame.pc) || find_mapping(process.mappings, frame.pc)) continue;
    if (process.unmapped_pcs.size() >= kMaxUnmappedPcs) process.unmapped_pcs.clear();
    process.unmapped_pcs.insert(frame.pc);
  }
}

void StackBuilder::name_user_stack(const ember_sample& sample, ProcessState& process) {
  native_.leaf_first.clear();
  native_.truncated = false;
  process.native->unwind_user(sample, native_);
  if (unknown_code_ && outside_known_mappings(native_, process.mappings, process.unmapped_pcs)) {
    note_unknown_code(process);
  }
  if (process.code_claims.empty()) {
    for (const NativeFrame& frame : native_.leaf_first) {
      process.native->symbolize_native(frame.pc, user_frames_);
      user_cfas_.resize(user_frames_.size(), frame.cfa);  // its inlined functions' too
    }
  } else {
    name_routed(sample, process);
  }
  if (native_.truncated) {
    user_frames_.push_back(truncated_);
    user_cfas_.push_back(0);
  }
}

// Each address goes to the handler claiming it, all of one handler's in one
// call; answers the host cached are not asked again. An address its claimer
// left unnamed, and any address nobody claims, is the native role's.
void StackBuilder::name_routed(const ember_sample& sample, ProcessState& process) {
  const CodeClaims& claims = process.code_claims;
  const auto& frames = native_.leaf_first;
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
    if (process.before_symbolize_frames.count(handler)) {
      std::vector<std::uint64_t> pcs;
      for (const NativeFrame& frame : batch.native) pcs.push_back(frame.pc);
      handler->symbolize_addresses(pcs, batch.frames);
    } else {
      handler->symbolize_frames(sample, batch.native, batch.frames);
    }
    batch.frames.resize(batch.native.size());  // a handler that resized them
  }
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const Route& route = routes_[i];
    if (route.cached) {
      user_frames_.insert(user_frames_.end(), route.cached->begin(), route.cached->end());
    } else if (route.owner != SIZE_MAX && !batches_[route.owner].frames[route.index].empty()) {
      const auto& named = batches_[route.owner].frames[route.index];
      user_frames_.insert(user_frames_.end(), named.begin(), named.end());
    } else {
      process.native->symbolize_native(frames[i].pc, user_frames_);
    }
    user_cfas_.resize(user_frames_.size(), frames[i].cfa);
  }
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

void StackBuilder::build(const ember_sample& sample, ProcessState& process,
                         std::vector<FrameHandle>& root_first) {
  root_first.clear();
  kernel_frames_.clear();
  user_frames_.clear();
  user_cfas_.clear();

  if (process.native) name_user_stack(sample, process);

  const std::vector<FrameHandle>* user = &user_frames_;
  // Frame groups come from the one handler whose BPF program ran.
  if (ProcessHandler* interpreter = process.interpreter(sample.runtime_program)) {
    groups_.clear();
    interpreter->symbolize_runtime(sample, groups_);
    merged_.clear();
    merge_interpreter_frames(user_frames_, user_cfas_, sample.user_sp, groups_, *interpreter,
                             merged_);
    user = &merged_;
  }

  bool truncated = sample.flags & (EMBER_SAMPLE_USER_TRUNCATED | EMBER_SAMPLE_RUNTIME_TRUNCATED);
  if (truncated && !user->empty()) root_first.push_back(truncated_);
  root_first.insert(root_first.end(), user->rbegin(), user->rend());

  std::uint32_t kernel_count =
      std::min<std::uint32_t>(sample.kernel_frame_count, EMBER_MAX_KERNEL_FRAMES);
  if (kernel_ && kernel_count > 0) {
    kernel_->symbolize_kernel(std::span<const __u64>(sample.kernel_frames, kernel_count),
                              kernel_frames_);
    if ((sample.flags & EMBER_SAMPLE_KERNEL_TRUNCATED) && user->empty()) {
      root_first.push_back(truncated_);
    }
    root_first.insert(root_first.end(), kernel_frames_.rbegin(), kernel_frames_.rend());
  }
}

}  // namespace ember

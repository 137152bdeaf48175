#include "unwind_memo.hpp"

#include <algorithm>
#include <cstring>

namespace ember::native {

std::uint64_t UnwindMemo::snapshot_size(const ember_sample& sample) {
  return std::min<std::uint64_t>(sample.snapshot_size, EMBER_MAX_STACK_SNAPSHOT);
}

const UnwindMemo::Entry* UnwindMemo::find(const ember_sample& sample,
                                          std::size_t max_frames) const {
  auto it = entries_.find(sample.user_ip);
  if (it == entries_.end()) return nullptr;
  const Entry& entry = it->second;
  std::uint64_t size = snapshot_size(sample);
  if (entry.sp != sample.user_sp || entry.bp != sample.user_bp || entry.snapshot_size != size ||
      entry.max_frames != max_frames || (entry.reads_bx && entry.bx != sample.user_bx)) {
    return nullptr;
  }
  for (const auto& [address, value] : entry.reads) {
    // Recorded reads were inside the same snapshot range: same sp, same size.
    std::uint64_t word = 0;
    std::memcpy(&word, sample.stack_snapshot + (address - sample.user_sp), 8);
    if (word != value) return nullptr;
  }
  return &entry;
}

void UnwindMemo::begin(const ember_sample& sample, std::size_t max_frames) {
  recording_ = max_entries_ > 0;
  current_.ip = sample.user_ip;
  current_.sp = sample.user_sp;
  current_.bp = sample.user_bp;
  current_.bx = sample.user_bx;
  current_.reads_bx = false;
  current_.snapshot_size = snapshot_size(sample);
  current_.max_frames = max_frames;
  current_.reads.clear();
  current_.frames.clear();
}

void UnwindMemo::finish(const std::vector<UnwoundFrame>& frames, UnwindEnd end) {
  if (!recording_) return;
  recording_ = false;
  // No CFI for the sampled code (JIT, a file not readable yet): not a stack to replay.
  if (end == UnwindEnd::failed && frames.size() <= 1) return;
  if (entries_.size() >= max_entries_ && !entries_.count(current_.ip)) entries_.clear();
  Entry& entry = entries_[current_.ip];
  entry = current_;
  entry.frames = frames;
  entry.end = end;
}

}  // namespace ember::native

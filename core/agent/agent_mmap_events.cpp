// The agent's use of the kernel's mmap records (MmapEventStream): the
// mappings of processes that exited before /proc was read.
#include "agent.hpp"

namespace ember {

void Agent::open_mmap_events() {
  // Only unwinding and naming native frames needs the mappings.
  if (mmap_events_ || !plugins_.native()) return;
  if (Status opened = MmapEventStream::open(mmap_events_); !opened) {
    logger_->warn("{}: programs that exit within a millisecond or two may keep [unknown] "
                  "frames",
                  opened.message());
  }
}

ExecImageLookup Agent::exec_image_lookup() {
  return [this](std::uint32_t pid) -> const ExecImage* {
    return mmap_events_ ? mmap_events_->image(pid) : nullptr;
  };
}

// Once a second. A sample is taken from the queue within about a second of
// the samples before it (the ring and the queue keep their order): an image
// whose process exited a second before the newest sample taken is no longer
// asked for; a process running for half a minute was read from /proc.
void Agent::forget_old_exec_images() {
  if (!mmap_events_ || last_sample_ns_ == 0) return;
  constexpr std::uint64_t kAfterExitNs = 1'000'000'000;
  constexpr std::uint64_t kAfterExecNs = 30'000'000'000;
  const std::uint64_t now = last_sample_ns_;
  mmap_events_->forget(now > kAfterExitNs ? now - kAfterExitNs : 0,
                       now > kAfterExecNs ? now - kAfterExecNs : 0);
  if (const std::uint64_t lost = mmap_events_->lost(); lost > mmap_events_lost_reported_) {
    logger_->debug("{} mmap, exec or exit records lost to a full ring", lost - mmap_events_lost_reported_);
    mmap_events_lost_reported_ = lost;
  }
}

}  // namespace ember

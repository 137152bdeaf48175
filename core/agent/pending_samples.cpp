#include "pending_samples.hpp"

namespace ember {
namespace {

// Named entries kept for reuse: enough for a burst's steady flow, few
// enough that their buffers do not count in the agent's memory.
constexpr std::size_t kSpares = 64;

}  // namespace

PendingSample& PendingSamples::push() {
  if (spare_.empty()) return queue_.emplace_back();
  queue_.push_back(std::move(spare_.back()));
  spare_.pop_back();
  return queue_.back();
}

void PendingSamples::pop() {
  PendingSample& done = queue_.front();
  // Its handlers may go now, and its frames: a spare must hold nothing a
  // plugin made, since the plugin's code may be unloaded (a reload) before
  // the spare is used again.
  done.process.reset();
  done.stack.interpreter = nullptr;
  done.stack.groups.clear();
  done.stack.claimed.clear();
  done.labels.clear();
  if (spare_.size() < kSpares) spare_.push_back(std::move(done));
  queue_.pop_front();
}

bool PendingSamples::holds(std::uint32_t pid) const {
  for (const PendingSample& pending : queue_) {
    if (pending.pid == pid) return true;
  }
  return false;
}

void PendingSamples::cancel_last() {
  queue_.back().process.reset();
  queue_.pop_back();
}

}  // namespace ember

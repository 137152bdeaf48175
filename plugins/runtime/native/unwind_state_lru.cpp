#include "unwind_state_lru.hpp"

namespace ember::native {

bool UnwindStateLru::use(Member& member) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (member.listed_) {
    if (member.position_ != members_.begin()) {
      members_.splice(members_.begin(), members_, member.position_);
    }
    return false;
  }
  if (member.dropped_) {
    ++rebuilt_;
    member.dropped_ = false;
  }
  members_.push_front(&member);
  member.position_ = members_.begin();
  member.listed_ = true;
  bool first_drop = false;
  while (members_.size() > capacity_) {
    Member* oldest = members_.back();
    members_.pop_back();
    oldest->listed_ = false;
    oldest->dropped_ = true;
    oldest->drop_unwind_state();
    first_drop = first_drop || dropped_ == 0;
    ++dropped_;
  }
  return first_drop;
}

void UnwindStateLru::forget(Member& member) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!member.listed_) return;
  members_.erase(member.position_);
  member.listed_ = false;
}

std::size_t UnwindStateLru::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return members_.size();
}

std::uint64_t UnwindStateLru::dropped() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return dropped_;
}

std::uint64_t UnwindStateLru::rebuilt() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return rebuilt_;
}

std::string UnwindStateLru::report_if_due(std::chrono::steady_clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (now - last_report_ < std::chrono::minutes(1)) return {};
  if (dropped_ == dropped_at_report_ && members_.size() == size_at_report_) return {};
  last_report_ = now;
  dropped_at_report_ = dropped_;
  size_at_report_ = members_.size();
  return "unwind state: " + std::to_string(members_.size()) + " of at most " +
         std::to_string(capacity_) + " processes, " + std::to_string(dropped_) +
         " dropped (least recently used) and " + std::to_string(rebuilt_) +
         " rebuilt since the start";
}

}  // namespace ember::native

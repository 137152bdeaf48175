#include "known_ids.hpp"

namespace ember::server {

void KnownIds::add_locked(std::uint64_t id) {
  if (newer_.size() >= half_) {
    older_ = std::move(newer_);
    newer_ = {};
  }
  newer_.insert(id);
}

bool KnownIds::contains(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  if (newer_.count(id)) return true;
  auto it = older_.find(id);
  if (it == older_.end()) return false;
  older_.erase(it);
  add_locked(id);
  return true;
}

void KnownIds::add(const std::vector<std::uint64_t>& ids) {
  std::lock_guard lock(mutex_);
  for (std::uint64_t id : ids) {
    older_.erase(id);
    if (!newer_.count(id)) add_locked(id);
  }
}

void KnownIds::clear() {
  std::lock_guard lock(mutex_);
  newer_ = {};
  older_ = {};
}

std::size_t KnownIds::size() const {
  std::lock_guard lock(mutex_);
  return newer_.size() + older_.size();
}

}  // namespace ember::server

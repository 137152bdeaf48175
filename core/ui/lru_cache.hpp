// What the API computed last, kept for the next requests: the UI asks for
// one range's timeline, targets and flame graph in turn, refetches the flame
// graph when the view changes (zoom, search, mode), and picking another
// target filters the same read again, while a day of the store takes a
// second or more to read. A key names what a value holds (for a read: the
// stored windows it covers), so a range given relative to now ("-1h") hits
// until a new window is stored. Not thread-safe: the API serialises its
// requests.
#pragma once

#include <cstddef>
#include <list>
#include <string>
#include <utility>

#include "ember/status.hpp"

namespace ember::ui {

template <typename Value>
class LruCache {
 public:
  explicit LruCache(std::size_t capacity) : capacity_(capacity) {}

  // The value kept under `key`, or nullptr.
  const Value* find(const std::string& key) {
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->first != key) continue;
      entries_.splice(entries_.begin(), entries_, it);
      return &entries_.front().second;
    }
    return nullptr;
  }

  // Keeps `value` under `key` (instead of a value kept there); the least
  // recently used goes when more than `capacity` are kept.
  void put(const std::string& key, Value value) {
    if (capacity_ == 0) return;
    entries_.remove_if([&](const auto& entry) { return entry.first == key; });
    entries_.emplace_front(key, std::move(value));
    while (entries_.size() > capacity_) entries_.pop_back();
  }

  std::size_t size() const { return entries_.size(); }
  void clear() { entries_.clear(); }

  // The value kept under `key`, else the one `make(value)` makes (kept when
  // it succeeds).
  template <typename Make>
  Status get(const std::string& key, Make&& make, Value& out) {
    if (const Value* kept = find(key)) {
      out = *kept;
      return Status::ok();
    }
    Value made{};
    Status status = make(made);
    if (!status) return status;
    out = made;
    put(key, std::move(made));
    return Status::ok();
  }

 private:
  std::size_t capacity_;
  std::list<std::pair<std::string, Value>> entries_;  // most recently used first
};

}  // namespace ember::ui

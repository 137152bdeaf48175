// Row ids the store writer already knows, by the row's content, within a
// byte budget: two generations, the older dropped when the newer fills its
// half, a hit in the older moved to the newer. Rows of exited processes and
// stacks no longer sampled leave after a while instead of staying for the
// agent's life (what made the writer's memory grow by tens of MB an hour on
// a host with process churn); a miss costs a lookup in the table's index.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

namespace ember::store {

class IdCache {
 public:
  explicit IdCache(std::size_t budget_bytes) : half_(budget_bytes / 2) {}

  std::optional<std::int64_t> find(const std::string& key) {
    if (auto it = newer_.find(key); it != newer_.end()) return it->second;
    auto it = older_.find(key);
    if (it == older_.end()) return std::nullopt;
    std::int64_t id = it->second;
    older_bytes_ -= cost(key);
    older_.erase(it);
    insert(key, id);
    return id;
  }

  void insert(const std::string& key, std::int64_t id) {
    if (newer_.count(key)) return;
    if (newer_bytes_ + cost(key) > half_) {
      older_ = std::move(newer_);
      older_bytes_ = newer_bytes_;
      newer_ = {};
      newer_bytes_ = 0;
    }
    newer_.emplace(key, id);
    newer_bytes_ += cost(key);
  }

  void clear() {
    newer_ = {};
    older_ = {};
    newer_bytes_ = older_bytes_ = 0;
  }

  // Estimated heap: keys, their nodes and bucket slots.
  std::size_t bytes() const { return newer_bytes_ + older_bytes_; }
  std::size_t size() const { return newer_.size() + older_.size(); }

 private:
  static std::size_t cost(const std::string& key) {
    constexpr std::size_t kNode = sizeof(void*) * 2 + sizeof(std::string) + sizeof(std::int64_t) +
                                  sizeof(std::size_t);
    return kNode + (key.size() > 15 ? key.size() + 1 : 0);
  }

  std::size_t half_;
  std::unordered_map<std::string, std::int64_t> newer_, older_;
  std::size_t newer_bytes_ = 0, older_bytes_ = 0;
};

}  // namespace ember::store

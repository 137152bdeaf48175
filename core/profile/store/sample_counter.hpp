// Sums sample counts by a 64-bit key with open addressing: merging a day of
// windows is ~10 million additions, where std::unordered_map's node per key
// would dominate `ember report`'s time.
#pragma once

#include <cstdint>
#include <vector>

namespace ember::store {

class SampleCounter {
 public:
  void add(std::uint64_t key, std::uint64_t count) {
    if ((size_ + 1) * 2 > keys_.size()) grow();
    std::size_t mask = keys_.size() - 1;
    std::uint64_t stored = key + 1;  // 0 marks an empty slot
    for (std::size_t i = mix(stored) & mask;; i = (i + 1) & mask) {
      if (keys_[i] == stored) {
        counts_[i] += count;
        return;
      }
      if (keys_[i] == 0) {
        keys_[i] = stored;
        counts_[i] = count;
        ++size_;
        return;
      }
    }
  }

  template <typename Visit>
  void for_each(Visit&& visit) const {
    for (std::size_t i = 0; i < keys_.size(); ++i) {
      if (keys_[i] != 0) visit(keys_[i] - 1, counts_[i]);
    }
  }

  std::size_t size() const { return size_; }

 private:
  static std::size_t mix(std::uint64_t key) {
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return static_cast<std::size_t>(key);
  }

  void grow() {
    std::vector<std::uint64_t> keys = std::move(keys_), counts = std::move(counts_);
    keys_.assign(keys.empty() ? 64 : keys.size() * 2, 0);
    counts_.assign(keys_.size(), 0);
    size_ = 0;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (keys[i] != 0) add(keys[i] - 1, counts[i]);
    }
  }

  std::vector<std::uint64_t> keys_, counts_;
  std::size_t size_ = 0;
};

}  // namespace ember::store

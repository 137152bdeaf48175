// A hash table from keys to 32-bit values held in two flat arrays (open
// addressing, linear probing, at most 3/4 full): 12 bytes a slot for 64-bit
// keys, 8 for 32-bit ones, where a std::unordered_map takes ~40 bytes an
// entry in nodes and buckets. For the per-address tables that grow with
// every new address sampled, for the agent's life.
//
// Several entries may share a key: find_if() visits each, and the caller
// picks (a key that is a hash of the content). No erase; clear() forgets
// all and gives the arrays back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace ember::native {

template <typename Key>
class PackedHashTable {
 public:
  // Values must be below this (it marks a free slot).
  static constexpr std::uint32_t kFree = UINT32_MAX;

  // The first value under `key` that `accept(value)` takes.
  template <typename Accept>
  std::optional<std::uint32_t> find_if(Key key, Accept&& accept) const {
    if (values_.empty()) return std::nullopt;
    const std::size_t mask = values_.size() - 1;
    for (std::size_t i = slot_of(key);; i = (i + 1) & mask) {
      if (values_[i] == kFree) return std::nullopt;
      if (keys_[i] == key && accept(values_[i])) return values_[i];
    }
  }

  std::optional<std::uint32_t> find(Key key) const {
    return find_if(key, [](std::uint32_t) { return true; });
  }

  // Adds (key, value), beside any entry with the same key.
  void insert(Key key, std::uint32_t value) {
    if ((size_ + 1) * 4 > values_.size() * 3) grow();
    place(key, value);
    ++size_;
  }

  void clear() {
    keys_ = std::vector<Key>();
    values_ = std::vector<std::uint32_t>();
    size_ = 0;
    shift_ = 64;
  }

  std::size_t size() const { return size_; }
  std::size_t memory() const { return values_.capacity() * (sizeof(Key) + sizeof(std::uint32_t)); }

 private:
  static constexpr std::size_t kFirstSlots = 16;

  // Fibonacci hashing: the multiply spreads nearby keys (addresses a few
  // bytes apart) over the whole table.
  std::size_t slot_of(Key key) const {
    return static_cast<std::size_t>((static_cast<std::uint64_t>(key) * 0x9E3779B97F4A7C15ull) >>
                                    shift_);
  }

  void place(Key key, std::uint32_t value) {
    const std::size_t mask = values_.size() - 1;
    std::size_t i = slot_of(key);
    while (values_[i] != kFree) i = (i + 1) & mask;
    keys_[i] = key;
    values_[i] = value;
  }

  void grow() {
    std::vector<Key> keys = std::move(keys_);
    std::vector<std::uint32_t> values = std::move(values_);
    const std::size_t slots = values.empty() ? kFirstSlots : values.size() * 2;
    keys_.assign(slots, Key{});
    values_.assign(slots, kFree);
    shift_ = 64;
    for (std::size_t n = slots; n > 1; n >>= 1) --shift_;
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (values[i] != kFree) place(keys[i], values[i]);
    }
  }

  std::vector<Key> keys_;
  std::vector<std::uint32_t> values_;
  std::size_t size_ = 0;
  unsigned shift_ = 64;  // 64 - log2(slots)
};

}  // namespace ember::native

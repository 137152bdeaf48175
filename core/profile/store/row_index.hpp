// Store row ids -> indices in a merged Window. Row ids are SQLite rowids,
// dense from 1, so a vector indexed by id costs a fraction of a hash map per
// lookup (a day's read looks up millions); ids far sparser than that (a
// store whose early rows retention deleted long ago) use a hash map.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "byte_codec.hpp"

namespace ember::store {

class RowIndex {
 public:
  // `max_id`: the table's largest id; `expected`: about how many are wanted.
  RowIndex(std::int64_t max_id, std::size_t expected) {
    if (max_id >= 0 && static_cast<std::uint64_t>(max_id) < 16 * expected + (1u << 20)) {
      dense_.assign(static_cast<std::size_t>(max_id) + 1, kAbsent);
    }
  }

  void want(std::int64_t id) {
    std::uint32_t* slot = find(id);
    if (slot == nullptr) {
      if (!dense_.empty()) throw CorruptBlob("a row id beyond the table's largest");
      slot = &sparse_[id];
    } else if (*slot != kAbsent) {
      return;
    }
    *slot = kWanted;
    ++wanted_;
  }
  bool wanted(std::int64_t id) {
    const std::uint32_t* slot = find(id);
    return slot != nullptr && *slot != kAbsent;
  }
  std::size_t size() const { return wanted_; }

  void set(std::int64_t id, std::uint32_t index) { *find(id) = index; }
  std::uint32_t at(std::int64_t id) {
    const std::uint32_t* slot = find(id);
    if (slot == nullptr || *slot >= kWanted)
      throw CorruptBlob("a row a window refers to is missing");
    return *slot;
  }

  template <typename Visit>
  void for_each_wanted(Visit&& visit) const {
    for (std::size_t id = 0; id < dense_.size(); ++id) {
      if (dense_[id] != kAbsent) visit(static_cast<std::int64_t>(id));
    }
    for (const auto& [id, unused] : sparse_) visit(id);
  }

 private:
  static constexpr std::uint32_t kAbsent = UINT32_MAX;
  static constexpr std::uint32_t kWanted = UINT32_MAX - 1;

  std::uint32_t* find(std::int64_t id) {
    if (!dense_.empty()) {
      return id >= 0 && static_cast<std::size_t>(id) < dense_.size() ? &dense_[id] : nullptr;
    }
    auto it = sparse_.find(id);
    return it == sparse_.end() ? nullptr : &it->second;
  }
  const std::uint32_t* find(std::int64_t id) const { return const_cast<RowIndex*>(this)->find(id); }

  std::vector<std::uint32_t> dense_;
  std::unordered_map<std::int64_t, std::uint32_t> sparse_;
  std::size_t wanted_ = 0;
};

}  // namespace ember::store

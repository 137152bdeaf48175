// Row ids the store writer already knows, by the row's content, within a
// byte budget: two generations, the older dropped when the newer fills its
// half, a hit in the older moved to the newer. Rows of exited processes and
// stacks no longer sampled leave after a while instead of staying for the
// agent's life (what made the writer's memory grow by tens of MB an hour on
// a host with process churn); a miss costs a lookup in the table's index.
//
// A generation's rows are made while a window is written, between that
// write's short-lived strings and rows, and all die together: they live in
// chunks of their own (a monotonic resource), handed back whole when the
// generation is dropped, not as small pieces spread over the malloc heap
// where the freed space stays resident.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <memory_resource>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace ember::store {

class IdCache {
 public:
  // Chunks come from `upstream` (the default resource: new and delete).
  explicit IdCache(std::size_t budget_bytes,
                   std::pmr::memory_resource* upstream = std::pmr::get_default_resource())
      : half_(budget_bytes / 2), upstream_(upstream), newer_(make_generation(0)) {}

  std::optional<std::int64_t> find(const std::string& key) {
    if (auto it = newer_->rows.find(std::string_view(key)); it != newer_->rows.end()) {
      return it->second;
    }
    if (!older_) return std::nullopt;
    auto it = older_->rows.find(std::string_view(key));
    if (it == older_->rows.end()) return std::nullopt;
    std::int64_t id = it->second;
    older_->bytes -= cost(key);
    older_->rows.erase(it);
    insert(key, id);
    return id;
  }

  void insert(const std::string& key, std::int64_t id) {
    if (newer_->rows.count(std::string_view(key))) return;
    if (newer_->bytes + cost(key) > half_) {
      const std::size_t rows = newer_->rows.size();
      older_.reset();  // its chunks go back first
      older_ = std::move(newer_);
      newer_ = make_generation(rows);
    }
    newer_->rows.emplace(std::string_view(key), id);
    newer_->bytes += cost(key);
  }

  void clear() {
    older_.reset();
    newer_.reset();
    newer_ = make_generation(0);
  }

  // Estimated heap: keys, their nodes and bucket slots.
  std::size_t bytes() const { return newer_->bytes + (older_ ? older_->bytes : 0); }
  std::size_t size() const { return newer_->rows.size() + (older_ ? older_->rows.size() : 0); }

 private:
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const { return std::hash<std::string_view>()(key); }
  };
  struct Generation {
    Generation(std::size_t first_chunk, std::pmr::memory_resource* upstream)
        : memory(first_chunk, upstream), rows(&memory) {}
    std::pmr::monotonic_buffer_resource memory;
    std::pmr::unordered_map<std::pmr::string, std::int64_t, KeyHash, std::equal_to<>> rows;
    std::size_t bytes = 0;
  };

  // Sized for as many rows as the generation before held: no rehash as
  // it fills (the monotonic resource would keep every outgrown bucket array).
  std::unique_ptr<Generation> make_generation(std::size_t rows) const {
    auto generation = std::make_unique<Generation>(kFirstChunkBytes, upstream_);
    if (rows > 0) generation->rows.reserve(rows);
    return generation;
  }

  static std::size_t cost(const std::string& key) {
    constexpr std::size_t kNode = sizeof(void*) * 2 + sizeof(std::pmr::string) +
                                  sizeof(std::int64_t) + sizeof(std::size_t);
    return kNode + (key.size() > 15 ? key.size() + 1 : 0);
  }

  static constexpr std::size_t kFirstChunkBytes = 64 * 1024;
  std::size_t half_;
  std::pmr::memory_resource* upstream_;
  std::unique_ptr<Generation> newer_, older_;
};

}  // namespace ember::store

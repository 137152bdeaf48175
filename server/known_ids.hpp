// The frame or stack ids ClickHouse is known to hold (their INSERT was
// answered), so the next windows' rows leave them out: an agent sends the
// same frames and stacks window after window, and each repeat cost a row to
// format, send, parse and fold. Bounded: two generations of at most
// capacity / 2 ids each; an id found in the older one moves to the newer,
// and a full newer one makes the older one go (the least recently used
// half). Thread-safe: every ingest asks it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_set>
#include <vector>

namespace ember::server {

class KnownIds {
 public:
  explicit KnownIds(std::size_t capacity) : half_(capacity / 2 ? capacity / 2 : 1) {}

  // Whether ClickHouse holds `id` as far as this server knows.
  bool contains(std::uint64_t id);
  // `ids` were stored (their INSERT answered 200).
  void add(const std::vector<std::uint64_t>& ids);
  // Forgets every id: ClickHouse may have come back without them.
  void clear();
  std::size_t size() const;

 private:
  void add_locked(std::uint64_t id);

  const std::size_t half_;
  mutable std::mutex mutex_;
  std::unordered_set<std::uint64_t> newer_, older_;
};

}  // namespace ember::server

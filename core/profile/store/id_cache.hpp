// Row ids the store writer already knows, by the row's content, within a
// byte budget: two generations, the older dropped when the newer fills, a
// hit in the older moved to the newer. Rows of exited processes and stacks
// no longer sampled leave after a while instead of staying for the agent's
// life (what made the writer's memory grow by tens of MB an hour on a host
// with process churn); a miss costs a lookup in the table's index.
//
// A row is remembered by a 128-bit digest of its content, not the content
// (frames' names and paths, ~100 bytes, were most of the cache): the
// table's own 64-bit hash and a SipHash under a key drawn at start, so two
// rows that differ are taken for one only by chance (one in 2^64 per pair)
// and never by a name a program chose. A generation is one flat array of
// 24-byte slots, filled to 3/4, given back whole when dropped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "byte_codec.hpp"
#include "keyed_hash.hpp"

namespace ember::store {

class IdCache {
 public:
  explicit IdCache(std::size_t budget_bytes, HashKey key = HashKey::random())
      : capacity_(slots_for(budget_bytes)), key_(key) {}

  struct Digest {
    std::uint64_t a;  // stable_hash() of the content: the table's own hash
    std::uint64_t b;
  };

  // A row's digest, computed once where both find() and insert() need it.
  Digest digest_of(std::string_view content) const {
    Digest digest{stable_hash(content), keyed_hash(content, key_)};
    if (digest.a == 0 && digest.b == 0) digest.b = 1;
    return digest;
  }

  std::optional<std::int64_t> find(std::string_view content) { return find(digest_of(content)); }
  std::optional<std::int64_t> find(const Digest& digest) {
    if (Slot* slot = newer_.find(digest); slot && slot->used()) return slot->id;
    Slot* old = older_.find(digest);
    if (!old || !old->used()) return std::nullopt;
    const std::int64_t id = old->id;
    insert(digest, id);  // before a roll can drop the older generation
    return id;
  }

  void insert(std::string_view content, std::int64_t id) { insert(digest_of(content), id); }
  void insert(const Digest& digest, std::int64_t id) {
    if (!newer_.slots) {
      newer_.slots = std::make_unique<Slot[]>(capacity_);
      newer_.mask = capacity_ - 1;
    }
    Slot* slot = newer_.find(digest);
    if (slot->used()) return;
    if (4 * (newer_.count + 1) > 3 * capacity_) {
      older_ = std::move(newer_);  // the oldest generation's array goes back here
      newer_ = Generation();
      insert(digest, id);
      return;
    }
    slot->digest = digest;
    slot->id = id;
    ++newer_.count;
  }

  void clear() {
    newer_ = Generation();
    older_ = Generation();
  }

  // Heap held: the generations' arrays.
  std::size_t bytes() const { return (newer_.capacity() + older_.capacity()) * sizeof(Slot); }
  std::size_t size() const { return newer_.count + older_.count; }

 private:
  struct Slot {
    Digest digest{0, 0};  // {0, 0}: empty (a real digest never is: see digest_of)
    std::int64_t id = 0;
    bool used() const { return digest.a != 0 || digest.b != 0; }
  };
  struct Generation {
    std::unique_ptr<Slot[]> slots;
    std::size_t mask = 0;  // capacity - 1 (a power of two); 0: no array yet
    std::size_t count = 0;

    std::size_t capacity() const { return slots ? mask + 1 : 0; }
    // The slot holding `digest`, or the empty one where it would go; null
    // without an array.
    Slot* find(const Digest& digest) {
      if (!slots) return nullptr;
      for (std::size_t at = digest.b & mask;; at = (at + 1) & mask) {
        Slot& slot = slots[at];
        if (!slot.used() || (slot.digest.a == digest.a && slot.digest.b == digest.b)) return &slot;
      }
    }
  };

  // Each generation gets half the budget, rounded down to a power of two.
  static std::size_t slots_for(std::size_t budget_bytes) {
    std::size_t slots = 16;
    while (slots * 2 * sizeof(Slot) * 2 <= budget_bytes) slots *= 2;
    return slots;
  }

  std::size_t capacity_;
  HashKey key_;
  Generation newer_;
  Generation older_;
};

}  // namespace ember::store

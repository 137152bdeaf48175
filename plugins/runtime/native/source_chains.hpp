// The chains of frames of one object's addresses, kept compact: each chain
// as the ids of its functions' names and files and its lines (16 bytes a
// frame), the Frames made from them only while some holder (a window, a
// process's cache) keeps them, and made again from the ids when asked for
// after all let go. An object's DWARF is looked up once per address for the
// agent's life; what stays is ~20 bytes per address (its slot in its
// object's packed table) and ~35 per distinct chain plus 16 a frame, not
// the ~300 a Frame with its own strings takes (the caches grew with every
// new address sampled, ~9 MB an hour under process churn).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "ember/frame_interner.hpp"
#include "frame_names.hpp"
#include "packed_hash_table.hpp"

namespace ember::native {

// Not thread-safe: its owner locks.
class SourceChains {
 public:
  // One frame of a chain: a function at a file and line.
  struct Site {
    std::uint32_t name = 0;  // name_id()
    std::uint32_t file = 0;  // file_id(); 0: none
    std::uint32_t line = 0;
    bool inlined = false;

    bool operator==(const Site&) const = default;
  };

  SourceChains();

  // Ids of names and files, the same for equal strings.
  std::uint32_t name_id(std::string_view name) { return names_.id(name); }
  std::uint32_t file_id(std::string_view file) { return files_.id(file); }

  // The id of the chain of `sites` (innermost first): the same for equal
  // chains, so the addresses of one line share one.
  std::uint32_t add(std::span<const Site> sites);

  // Chain `id`'s frames, in `module`: the chain some holder keeps, or made
  // anew (of the frames some holder keeps, or made anew).
  ChainHandle frames(std::uint32_t id, std::string_view module);

  // Forgets every chain (ids handed out are no longer valid); chains and
  // frames holders keep stay theirs.
  void clear();

  std::size_t size() const { return chains_.size(); }

 private:
  // Strings by id; ids stay valid until clear().
  class Strings {
   public:
    std::uint32_t id(std::string_view text);
    const std::string& at(std::uint32_t id) const { return texts_[id]; }
    void clear();

   private:
    std::deque<std::string> texts_;
    PackedHashTable<std::uint32_t> ids_;  // hash -> id
  };

  struct Chain {
    std::uint32_t first = 0;  // in sites_
    std::uint32_t count = 0;
    std::weak_ptr<const FrameChain> live;
  };

  std::size_t hash(std::span<const Site> sites) const;

  Strings names_;
  Strings files_;
  // Deques: they grow by blocks, with no doubled capacity and no copy.
  std::deque<Site> sites_;
  std::deque<Chain> chains_;
  PackedHashTable<std::uint32_t> by_content_;  // hash -> chain id
  FrameInterner frames_;
};

}  // namespace ember::native

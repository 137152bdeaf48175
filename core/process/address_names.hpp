// The host's cache of the frames address symbolizers gave for one process'
// code (ProcessHandler::symbolize_addresses), by (mapping identity, address):
// an answer holds while the address stays in the same mapping, known by its
// file (device and inode) or, for anonymous memory (JIT code), by where the
// mapping starts. Bounded: full, it starts over. Lives in the ProcessState,
// so it goes with the process' handlers.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "ember/frame.hpp"
#include "ember/proc_maps.hpp"

namespace ember {

class AddressNames {
 public:
  explicit AddressNames(std::size_t max_entries = 16384) : max_entries_(max_entries) {}

  // The frames remembered for `pc`, or nullptr.
  const std::vector<FrameHandle>* find(std::uint64_t pc) const {
    auto it = names_.find(pc);
    return it == names_.end() ? nullptr : &it->second.frames;
  }

  // Remembers the frames of `pc`, which lies in `mapping`.
  void remember(std::uint64_t pc, const Mapping& mapping, const std::vector<FrameHandle>& frames);

  // The process' mappings are now `mappings`: forgets the addresses whose
  // mapping went or is another one now.
  void forget_changed(const std::vector<Mapping>& mappings);

  void clear() { names_.clear(); }
  std::size_t size() const { return names_.size(); }

 private:
  struct Identity {
    std::uint64_t device = 0;
    std::uint64_t inode = 0;
    std::uint64_t anonymous_start = 0;  // 0 for files
    bool operator==(const Identity&) const = default;
  };
  struct Entry {
    Identity mapping;
    std::vector<FrameHandle> frames;
  };
  static Identity identity_of(const Mapping& mapping);

  std::size_t max_entries_;
  std::unordered_map<std::uint64_t, Entry> names_;
};

}  // namespace ember

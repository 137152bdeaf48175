// Reads a goroutine's pprof labels from its process: runtime/pprof's
// labelMap, a map[string]string in Go 1.16-1.21 (runtime.hmap, buckets of
// 8 string keys and 8 string values; runtime/map.go). runtime/pprof never
// changes a labelMap once a goroutine points at it (pprof.Do and
// SetGoroutineLabels make a new one), so it reads the same at any time
// while the map is alive.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "ember/window.hpp"

namespace ember::go {

// Reads `size` bytes of the process at `address`; false when it cannot.
using ReadMemory = std::function<bool(std::uint64_t address, void* buffer, std::size_t size)>;

// Limits: what pprof labels are (a few short strings) with room to spare.
inline constexpr std::uint32_t kMaxLabels = 64;
inline constexpr std::uint32_t kMaxLabelBytes = 256;

// The labels of the map at `address`, sorted by key; false (and no labels)
// when it does not read as a map[string]string within the limits.
bool read_label_map(std::uint64_t address, const ReadMemory& read, std::vector<Label>& out);

// read_label_map with the last maps read kept: a map is read again only when
// its header (hash seed, count) changed, so one small read per sample.
class LabelMapCache {
 public:
  explicit LabelMapCache(ReadMemory read) : read_(std::move(read)) {}
  // The labels of the map at `address` (empty when unreadable).
  const std::vector<Label>& labels(std::uint64_t address);

 private:
  struct Entry {
    std::uint64_t header[2] = {};  // count, flags/B/noverflow/hash0
    std::vector<Label> labels;
  };
  static constexpr std::size_t kMaxEntries = 1024;
  ReadMemory read_;
  std::map<std::uint64_t, Entry> entries_;
  std::vector<Label> none_;
};

}  // namespace ember::go

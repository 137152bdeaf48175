#include "label_map.hpp"

#include <algorithm>
#include <cstring>
#include <set>

namespace ember::go {
namespace {

// runtime.hmap (every Go version with hash maps, 1.16-1.23):
//   count int; flags uint8; B uint8; noverflow uint16; hash0 uint32;
//   buckets, oldbuckets unsafe.Pointer; nevacuate uintptr; extra *mapextra
struct Hmap {
  std::uint64_t count;
  std::uint8_t flags;
  std::uint8_t b;
  std::uint16_t noverflow;
  std::uint32_t hash0;
  std::uint64_t buckets;
  std::uint64_t oldbuckets;
};
static_assert(sizeof(Hmap) == 32);

constexpr std::uint8_t kSameSizeGrow = 8;  // hmap.flags
constexpr std::uint8_t kMinTopHash = 5;    // tophash below it: empty or evacuated
constexpr int kBucketCount = 8;
constexpr std::uint8_t kMaxB = 4;           // 128 slots: more than kMaxLabels
constexpr int kMaxOverflow = 8;

struct GoString {
  std::uint64_t data;
  std::uint64_t length;
};

// A bucket of map[string]string: tophash, keys, values, overflow pointer.
struct Bucket {
  std::uint8_t tophash[kBucketCount];
  GoString keys[kBucketCount];
  GoString values[kBucketCount];
  std::uint64_t overflow;
};
static_assert(sizeof(Bucket) == 272);

bool read_string(const GoString& s, const ReadMemory& read, std::string& out) {
  if (s.length > kMaxLabelBytes) return false;
  out.resize(s.length);
  return s.length == 0 || read(s.data, out.data(), s.length);
}

// The live entries of `count` buckets from `address`, their overflow chains too.
bool read_buckets(std::uint64_t address, std::uint64_t count, const ReadMemory& read,
                  std::vector<Label>& out) {
  for (std::uint64_t i = 0; i < count; ++i) {
    std::uint64_t at = address + i * sizeof(Bucket);
    for (int chain = 0; at != 0; ++chain) {
      if (chain > kMaxOverflow) return false;
      Bucket bucket{};
      if (!read(at, &bucket, sizeof(bucket))) return false;
      for (int slot = 0; slot < kBucketCount; ++slot) {
        if (bucket.tophash[slot] < kMinTopHash) continue;
        if (out.size() >= kMaxLabels) return false;
        Label label;
        if (!read_string(bucket.keys[slot], read, label.key) ||
            !read_string(bucket.values[slot], read, label.value)) {
          return false;
        }
        out.push_back(std::move(label));
      }
      at = bucket.overflow;
    }
  }
  return true;
}

}  // namespace

bool read_label_map(std::uint64_t address, const ReadMemory& read, std::vector<Label>& out) {
  out.clear();
  Hmap map{};
  if (address == 0 || !read(address, &map, sizeof(map))) return false;
  if (map.count > kMaxLabels || map.b > kMaxB) return false;
  if (map.count == 0) return true;
  std::vector<Label> found;
  bool ok = map.buckets != 0 && read_buckets(map.buckets, std::uint64_t{1} << map.b, read, found);
  // A map still growing keeps some entries in the old buckets.
  if (ok && map.oldbuckets != 0) {
    std::uint64_t old = std::uint64_t{1} << map.b;
    if (!(map.flags & kSameSizeGrow)) old >>= 1;
    ok = read_buckets(map.oldbuckets, std::max<std::uint64_t>(old, 1), read, found);
  }
  if (!ok) return false;
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end(),
                          [](const Label& a, const Label& b) { return a.key == b.key; }),
              found.end());
  if (found.size() != map.count) return false;  // not a map[string]string after all
  out = std::move(found);
  return true;
}

const std::vector<Label>& LabelMapCache::labels(std::uint64_t address) {
  std::uint64_t header[2] = {};
  if (address == 0 || !read_(address, header, sizeof(header))) return none_;
  auto it = entries_.find(address);
  if (it != entries_.end() && std::memcmp(it->second.header, header, sizeof(header)) == 0) {
    return it->second.labels;
  }
  if (entries_.size() >= kMaxEntries) entries_.clear();
  Entry& entry = entries_[address];
  std::memcpy(entry.header, header, sizeof(header));
  if (!read_label_map(address, read_, entry.labels)) entry.labels.clear();
  return entry.labels;
}

}  // namespace ember::go

// runtime/pprof's label maps (map[string]string) read from a fake process
// memory laid out as Go 1.16-1.21 lay them out: one bucket, overflow
// buckets, a map still growing, and what does not read as such a map.
#include "label_map.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace ember::go {
namespace {

// A process memory: byte ranges at addresses, handed out bump-allocated.
class FakeMemory {
 public:
  std::uint64_t put(const void* bytes, std::size_t size) {
    std::uint64_t at = next_;
    auto& block = blocks_[at];
    block.assign(static_cast<const std::uint8_t*>(bytes),
                 static_cast<const std::uint8_t*>(bytes) + size);
    next_ += (size + 15) / 16 * 16 + 16;
    return at;
  }
  std::uint64_t put_string(const std::string& s) { return put(s.data(), s.size()); }
  void write(std::uint64_t address, const void* bytes, std::size_t size) {
    std::memcpy(blocks_.at(address).data(), bytes, size);
  }
  bool read(std::uint64_t address, void* buffer, std::size_t size) const {
    ++reads;
    auto it = blocks_.upper_bound(address);
    if (it == blocks_.begin()) return false;
    --it;
    std::uint64_t offset = address - it->first;
    if (offset > it->second.size() || it->second.size() - offset < size) return false;
    std::memcpy(buffer, it->second.data() + offset, size);
    return true;
  }
  ReadMemory reader() const {
    return [this](std::uint64_t a, void* b, std::size_t s) { return read(a, b, s); };
  }
  mutable int reads = 0;

 private:
  std::map<std::uint64_t, std::vector<std::uint8_t>> blocks_;
  std::uint64_t next_ = 0x10000;
};

struct Bucket {
  std::uint8_t tophash[8] = {};
  std::uint64_t keys[8][2] = {};
  std::uint64_t values[8][2] = {};
  std::uint64_t overflow = 0;
};
static_assert(sizeof(Bucket) == 272);

struct Hmap {
  std::uint64_t count = 0;
  std::uint8_t flags = 0;
  std::uint8_t b = 0;
  std::uint16_t noverflow = 0;
  std::uint32_t hash0 = 0x5eed;
  std::uint64_t buckets = 0;
  std::uint64_t oldbuckets = 0;
  std::uint64_t nevacuate = 0;
  std::uint64_t extra = 0;
};
static_assert(sizeof(Hmap) == 48);

void set_slot(FakeMemory& memory, Bucket& bucket, int slot, const std::string& key,
              const std::string& value, std::uint8_t tophash = 0x80) {
  bucket.tophash[slot] = tophash;
  bucket.keys[slot][0] = memory.put_string(key);
  bucket.keys[slot][1] = key.size();
  bucket.values[slot][0] = memory.put_string(value);
  bucket.values[slot][1] = value.size();
}

std::string text(const std::vector<Label>& labels) {
  std::string out;
  for (const Label& label : labels) out += label.key + "=" + label.value + ";";
  return out;
}

TEST(LabelMap, OneBucket) {
  FakeMemory memory;
  Bucket bucket;
  set_slot(memory, bucket, 0, "phase", "alpha");
  set_slot(memory, bucket, 3, "endpoint", "/api/v1");
  bucket.tophash[1] = 1;  // emptyOne: a deleted slot
  Hmap map;
  map.count = 2;
  map.buckets = memory.put(&bucket, sizeof bucket);
  std::vector<Label> labels;
  ASSERT_TRUE(read_label_map(memory.put(&map, sizeof map), memory.reader(), labels));
  EXPECT_EQ(text(labels), "endpoint=/api/v1;phase=alpha;");
}

TEST(LabelMap, EmptyMapHasNoLabels) {
  FakeMemory memory;
  Hmap map;
  std::vector<Label> labels{{"stale", "x"}};
  ASSERT_TRUE(read_label_map(memory.put(&map, sizeof map), memory.reader(), labels));
  EXPECT_TRUE(labels.empty());
  EXPECT_FALSE(read_label_map(0, memory.reader(), labels));
}

TEST(LabelMap, OverflowBucketsAndAGrowingMap) {
  FakeMemory memory;
  Bucket overflow;
  set_slot(memory, overflow, 0, "k9", "v9");
  Bucket first;
  for (int i = 0; i < 8; ++i) set_slot(memory, first, i, "k" + std::to_string(i), "v");
  first.overflow = memory.put(&overflow, sizeof overflow);
  Bucket buckets[2] = {first, Bucket{}};
  set_slot(memory, buckets[1], 2, "new", "y");
  Bucket old;
  set_slot(memory, old, 0, "old", "z");
  set_slot(memory, old, 1, "moved", "w", 2);  // evacuatedX: already in the new buckets
  Hmap map;
  map.count = 11;
  map.b = 1;
  map.buckets = memory.put(buckets, sizeof buckets);
  map.oldbuckets = memory.put(&old, sizeof old);
  std::vector<Label> labels;
  ASSERT_TRUE(read_label_map(memory.put(&map, sizeof map), memory.reader(), labels));
  EXPECT_EQ(text(labels), "k0=v;k1=v;k2=v;k3=v;k4=v;k5=v;k6=v;k7=v;k9=v9;new=y;old=z;");
}

TEST(LabelMap, WhatIsNotALabelMapGivesNoLabels) {
  FakeMemory memory;
  Bucket bucket;
  set_slot(memory, bucket, 0, "phase", "alpha");
  Hmap map;
  map.buckets = memory.put(&bucket, sizeof bucket);
  std::vector<Label> labels;
  auto read = [&](Hmap m) {
    return read_label_map(memory.put(&m, sizeof m), memory.reader(), labels);
  };
  Hmap miscounted = map;
  miscounted.count = 2;
  EXPECT_FALSE(read(miscounted));
  EXPECT_TRUE(labels.empty());
  Hmap huge = map;
  huge.count = 1;
  huge.b = 20;
  EXPECT_FALSE(read(huge));
  Hmap unmapped = map;
  unmapped.count = 1;
  unmapped.buckets = 0x7f0000000000;
  EXPECT_FALSE(read(unmapped));
  Bucket looped;
  set_slot(memory, looped, 0, "a", "b");
  std::uint64_t looped_at = memory.put(&looped, sizeof looped);
  looped.overflow = looped_at;  // its own overflow bucket
  memory.write(looped_at, &looped, sizeof looped);
  Hmap loop = map;
  loop.count = 1;
  loop.buckets = looped_at;
  EXPECT_FALSE(read(loop));
  Bucket long_key;
  set_slot(memory, long_key, 0, std::string(kMaxLabelBytes + 1, 'x'), "v");
  Hmap too_long = map;
  too_long.count = 1;
  too_long.buckets = memory.put(&long_key, sizeof long_key);
  EXPECT_FALSE(read(too_long));
}

TEST(LabelMapCache, ReadsAMapAgainOnlyWhenItsHeaderChanged) {
  FakeMemory memory;
  Bucket bucket;
  set_slot(memory, bucket, 0, "phase", "alpha");
  Hmap map;
  map.count = 1;
  map.buckets = memory.put(&bucket, sizeof bucket);
  std::uint64_t at = memory.put(&map, sizeof map);
  LabelMapCache cache(memory.reader());
  EXPECT_EQ(text(cache.labels(at)), "phase=alpha;");
  int reads = memory.reads;
  EXPECT_EQ(text(cache.labels(at)), "phase=alpha;");
  EXPECT_EQ(memory.reads, reads + 1);  // the header only
  // Another map at the same address (the first was freed): new seed.
  Bucket other;
  set_slot(memory, other, 0, "phase", "beta");
  map.hash0 = 0xbeef;
  map.buckets = memory.put(&other, sizeof other);
  memory.write(at, &map, sizeof map);
  EXPECT_EQ(text(cache.labels(at)), "phase=beta;");
  EXPECT_TRUE(cache.labels(0).empty());
}

}  // namespace
}  // namespace ember::go

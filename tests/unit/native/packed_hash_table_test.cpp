#include "packed_hash_table.hpp"

#include <gtest/gtest.h>

#include <set>

namespace ember::native {
namespace {

TEST(PackedHashTable, FindsEveryAddressAcrossGrowthAndNothingElse) {
  PackedHashTable<std::uint64_t> table;
  EXPECT_FALSE(table.find(0x401000));
  constexpr std::uint32_t kCount = 100000;
  // Addresses a few bytes apart, as instructions are, and one above 4 GiB.
  for (std::uint32_t i = 0; i < kCount; ++i) table.insert(0x401000 + 3ull * i, i);
  table.insert(0x7f0000001000ull, kCount);
  ASSERT_EQ(table.size(), kCount + 1);
  for (std::uint32_t i = 0; i < kCount; ++i) {
    ASSERT_EQ(table.find(0x401000 + 3ull * i), i) << i;
    ASSERT_FALSE(table.find(0x401001 + 3ull * i)) << i;
  }
  EXPECT_EQ(table.find(0x7f0000001000ull), kCount);
  EXPECT_FALSE(table.find(0x001000)) << "the low 32 bits alone do not match";
  // 12 bytes a slot, at most 3/4 full: never more than twice that an entry.
  EXPECT_LE(table.memory(), table.size() * 32);
}

TEST(PackedHashTable, EntriesSharingAKeyAreEachVisited) {
  PackedHashTable<std::uint32_t> table;
  for (std::uint32_t value = 0; value < 40; ++value) {
    table.insert(value % 4 == 0 ? 1000 : value, value);
  }
  std::set<std::uint32_t> seen;
  auto picked = table.find_if(1000, [&](std::uint32_t value) {
    seen.insert(value);
    return value == 36;
  });
  EXPECT_EQ(picked, 36u);
  EXPECT_TRUE(seen.count(0) && seen.count(36)) << "every entry under the key up to the one picked";
  for (std::uint32_t value : seen) EXPECT_EQ(value % 4, 0u) << "only entries under the key";
  EXPECT_FALSE(table.find_if(1000, [](std::uint32_t value) { return value == 5; }));
}

TEST(PackedHashTable, ClearGivesTheArraysBack) {
  PackedHashTable<std::uint64_t> table;
  for (std::uint32_t i = 0; i < 1000; ++i) table.insert(i, i);
  ASSERT_GT(table.memory(), 0u);
  table.clear();
  EXPECT_EQ(table.memory(), 0u);
  EXPECT_EQ(table.size(), 0u);
  EXPECT_FALSE(table.find(5));
  table.insert(5, 50);
  EXPECT_EQ(table.find(5), 50u);
}

}  // namespace
}  // namespace ember::native

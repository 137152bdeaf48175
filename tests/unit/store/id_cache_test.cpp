#include "id_cache.hpp"

#include <gtest/gtest.h>

#include <string>

#include "keyed_hash.hpp"

namespace ember::store {
namespace {

std::string row(int i) { return "frame " + std::to_string(i) + std::string(100, 'x'); }

TEST(IdCacheTest, StaysWithinItsBudgetWhileRowsKeepComing) {
  IdCache cache(64 << 10);
  for (int i = 0; i < 100000; ++i) {
    cache.insert(row(i), i);
    ASSERT_LE(cache.bytes(), std::size_t{64} << 10) << "after " << i;
  }
  // Two generations of 1,024 slots, each filled to 3/4.
  EXPECT_GT(cache.size(), 768u);
  EXPECT_LE(cache.size(), 1536u);
  EXPECT_FALSE(cache.find(row(0)));  // long gone
  EXPECT_EQ(cache.find(row(99999)), 99999);
  for (int i = 99999; i > 99999 - 768; --i) ASSERT_EQ(cache.find(row(i)), i) << i;
}

TEST(IdCacheTest, RowsStillUsedOutliveTheGenerationsThatDropTheRest) {
  IdCache cache(64 << 10);
  cache.insert(row(-1), 7);
  for (int i = 0; i < 100000; ++i) {
    cache.insert(row(i), i);
    if (i % 50 == 0) {
      ASSERT_EQ(cache.find(row(-1)), 7) << "after " << i;
    }
  }
  cache.clear();
  EXPECT_FALSE(cache.find(row(-1)));
  EXPECT_EQ(cache.bytes(), 0u);
}

// Rows are remembered by digest: each of many similar rows finds its own
// id, and rows never inserted find none.
TEST(IdCacheTest, EveryRowFindsItsOwnIdAndNoOther) {
  IdCache cache(std::size_t{16} << 20);
  constexpr int kRows = 150000;  // within one generation of 262,144 slots
  for (int i = 0; i < kRows; ++i) cache.insert(row(i), i);
  EXPECT_EQ(cache.size(), std::size_t{kRows});
  for (int i = 0; i < kRows; ++i) ASSERT_EQ(cache.find(row(i)), i) << i;
  for (int i = kRows; i < 2 * kRows; ++i) ASSERT_FALSE(cache.find(row(i))) << i;
}

// SipHash-2-4's reference vectors (key 00 01 .. 0f, message 00 01 .. n-1).
TEST(KeyedHashTest, GivesSipHashReferenceValues) {
  const HashKey key{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};
  std::string message;
  for (int i = 0; i < 15; ++i) message += static_cast<char>(i);
  EXPECT_EQ(keyed_hash("", key), 0x726fdb47dd0e0e31ULL);
  EXPECT_EQ(keyed_hash(std::string_view(message).substr(0, 8), key), 0x93f5f5799a932462ULL);
  EXPECT_EQ(keyed_hash(message, key), 0xa129ca6149be45e5ULL);
  EXPECT_NE(keyed_hash(message, HashKey{1, 2}), keyed_hash(message, key));
}

}  // namespace
}  // namespace ember::store

#include "id_cache.hpp"

#include <gtest/gtest.h>

#include <string>

namespace ember::store {
namespace {

std::string row(int i) { return "frame " + std::to_string(i) + std::string(100, 'x'); }

TEST(IdCacheTest, StaysWithinItsBudgetWhileRowsKeepComing) {
  IdCache cache(64 << 10);
  for (int i = 0; i < 100000; ++i) {
    cache.insert(row(i), i);
    ASSERT_LE(cache.bytes(), std::size_t{64} << 10) << "after " << i;
  }
  EXPECT_GT(cache.size(), 100u);
  EXPECT_LT(cache.size(), 1000u);
  EXPECT_FALSE(cache.find(row(0)));  // long gone
  EXPECT_EQ(cache.find(row(99999)), 99999);
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

}  // namespace
}  // namespace ember::store

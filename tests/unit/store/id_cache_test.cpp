#include "id_cache.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory_resource>
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

// Counts what is taken from it and given back, for the cache's chunks.
class CountingResource : public std::pmr::memory_resource {
 public:
  std::size_t held = 0;
  std::size_t most = 0;
  std::size_t allocations = 0;

 private:
  void* do_allocate(std::size_t bytes, std::size_t alignment) override {
    held += bytes;
    most = std::max(most, held);
    ++allocations;
    return std::pmr::new_delete_resource()->allocate(bytes, alignment);
  }
  void do_deallocate(void* p, std::size_t bytes, std::size_t alignment) override {
    held -= bytes;
    std::pmr::new_delete_resource()->deallocate(p, bytes, alignment);
  }
  bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override {
    return this == &other;
  }
};

// Rows live in a few big chunks per generation that go back whole when the
// generation is dropped: not thousands of small heap pieces.
TEST(IdCacheTest, ADroppedGenerationGoesBackInWholeChunks) {
  CountingResource chunks;
  constexpr std::size_t kBudget = 256 << 10;
  {
    IdCache cache(kBudget, &chunks);
    for (int i = 0; i < 100000; ++i) cache.insert(row(i), i);
    EXPECT_GT(chunks.held, kBudget / 4);  // the rows are in the chunks
    // A few chunks per generation, not one per row: 100,000 rows went through.
    EXPECT_LT(chunks.allocations, 1000u);
    // Two generations of about half the budget each, with their chunks'
    // slack and bucket arrays: dropped generations were given back.
    EXPECT_LT(chunks.most, 3 * kBudget);
    cache.clear();
    EXPECT_EQ(chunks.held, 0u);
    cache.insert(row(1), 1);
    EXPECT_EQ(cache.find(row(1)), 1);
  }
  EXPECT_EQ(chunks.held, 0u);
}

}  // namespace
}  // namespace ember::store

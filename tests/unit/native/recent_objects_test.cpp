// The binaries' state kept after the last process using it exited: the most
// recently asked for stay alive, for a while and up to a count.
#include "recent_objects.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>

namespace ember::native {
namespace {

using namespace std::chrono_literals;
using Kept = RecentObjects<int>;

TEST(RecentObjects, KeepsWhatItHandedOutAfterItsUsersLetGo) {
  Kept kept(2, 10s);
  const Kept::Clock::time_point t0{1h};
  auto a = std::make_shared<const int>(1);
  std::weak_ptr<const int> watch = a;
  EXPECT_EQ(kept.touch(a, t0), nullptr);
  a.reset();
  EXPECT_FALSE(watch.expired()) << "kept after its last user let go";
  EXPECT_EQ(kept.size(), 1u);
}

TEST(RecentObjects, PushesOutTheLeastRecentlyTouchedBeyondItsCapacity) {
  Kept kept(2, 10s);
  const Kept::Clock::time_point t0{1h};
  auto a = std::make_shared<const int>(1);
  auto b = std::make_shared<const int>(2);
  auto c = std::make_shared<const int>(3);
  kept.touch(a, t0);
  kept.touch(b, t0 + 1s);
  kept.touch(a, t0 + 2s);  // a again: b is now the least recent
  EXPECT_EQ(kept.touch(c, t0 + 3s), b);
  EXPECT_EQ(kept.size(), 2u);
}

TEST(RecentObjects, LetsGoOfWhatWasNotAskedForWithinItsKeep) {
  Kept kept(8, 10s);
  const Kept::Clock::time_point t0{1h};
  auto a = std::make_shared<const int>(1);
  auto b = std::make_shared<const int>(2);
  EXPECT_FALSE(kept.expiry_due(t0)) << "nothing kept, nothing due";
  kept.touch(a, t0);
  kept.touch(b, t0 + 5s);
  EXPECT_FALSE(kept.expiry_due(t0 + 9s));
  EXPECT_TRUE(kept.expiry_due(t0 + 10s));
  auto expired = kept.expire(t0 + 10s);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0], a);
  EXPECT_FALSE(kept.expiry_due(t0 + 14s)) << "b's keep runs from its own touch";
  kept.touch(b, t0 + 14s);
  EXPECT_TRUE(kept.expire(t0 + 23s).empty()) << "asked for again: kept 10 s from then";
  EXPECT_EQ(kept.expire(t0 + 24s).size(), 1u);
  EXPECT_EQ(kept.size(), 0u);
  EXPECT_FALSE(kept.expiry_due(t0 + 100s));
}

TEST(RecentObjects, CapacityZeroKeepsNothing) {
  Kept kept(0, 10s);
  auto a = std::make_shared<const int>(1);
  EXPECT_EQ(kept.touch(a, Kept::Clock::now()), nullptr);
  EXPECT_EQ(kept.size(), 0u);
}

}  // namespace
}  // namespace ember::native

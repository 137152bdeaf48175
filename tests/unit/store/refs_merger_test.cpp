// The merge of windows' references: counts summed per (pid, tid, stack id)
// whatever the order the parts come in, sorted by them, and a damaged part
// (unsorted, a key twice) merged as its rows say.
#include "refs_merger.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <tuple>

namespace ember::store {
namespace {

using Key = std::tuple<std::uint32_t, std::uint32_t, std::int64_t>;  // pid, tid, stack

std::vector<StoredSample> sorted_part(std::mt19937& random, std::map<Key, std::uint64_t>& truth,
                                      int rows = 300, std::int64_t stacks = 90) {
  std::map<Key, std::uint64_t> part;
  for (int i = 0; i < rows; ++i) {
    auto pid = static_cast<std::uint32_t>(random() % 12 + 1);
    Key key{pid, pid + static_cast<std::uint32_t>(random() % 3),
            static_cast<std::int64_t>(random() % stacks)};
    part[key] += random() % 5 + 1;
  }
  std::vector<StoredSample> samples;
  for (const auto& [key, count] : part) {
    samples.push_back(StoredSample{std::get<2>(key), std::get<0>(key), std::get<1>(key), count});
    truth[key] += count;
  }
  return samples;
}

void expect_merged(RefsMerger& merger, const std::map<Key, std::uint64_t>& truth) {
  const std::vector<StoredSample>& merged = merger.samples();
  ASSERT_EQ(merged.size(), truth.size());
  auto expected = truth.begin();
  for (const StoredSample& s : merged) {
    EXPECT_EQ(Key(s.pid, s.tid, s.stack_id), expected->first);
    EXPECT_EQ(s.count, expected->second);
    ++expected;
  }
}

TEST(RefsMerger, SumsEveryKeyOfEveryPartInKeyOrder) {
  std::mt19937 random(7);
  std::map<Key, std::uint64_t> truth;
  RefsMerger merger;
  for (int part = 0; part < 30; ++part) {
    WindowRefs refs;
    refs.samples = sorted_part(random, truth);
    merger.add(std::move(refs));
  }
  expect_merged(merger, truth);
  EXPECT_EQ(merger.take_refs().samples.size(), truth.size());
}

TEST(RefsMerger, PartsMergedInBatchesAsTheyComeSumTheSame) {
  std::mt19937 random(3);
  std::map<Key, std::uint64_t> truth;
  RefsMerger merger;
  for (int part = 0; part < 12; ++part) {  // 360,000 rows: merged twice on the way
    WindowRefs refs;
    refs.samples = sorted_part(random, truth, 30'000, 20'000);
    merger.add(std::move(refs));
  }
  expect_merged(merger, truth);
}

TEST(RefsMerger, ADamagedPartOutOfOrderOrWithRepeatsCountsAsItsRows) {
  std::mt19937 random(11);
  std::map<Key, std::uint64_t> truth;
  RefsMerger merger;
  WindowRefs first;
  first.samples = sorted_part(random, truth);
  merger.add(std::move(first));
  WindowRefs damaged;
  damaged.samples = sorted_part(random, truth);
  damaged.samples.push_back(damaged.samples.front());  // a key twice, out of order
  truth[Key(damaged.samples.front().pid, damaged.samples.front().tid,
            damaged.samples.front().stack_id)] += damaged.samples.front().count;
  std::shuffle(damaged.samples.begin(), damaged.samples.end(), random);
  merger.add(std::move(damaged));
  expect_merged(merger, truth);
}

TEST(RefsMerger, ThreadsSummedPerProcessAsSortedOrShuffledRows) {
  std::mt19937 random(5);
  for (int round = 0; round < 20; ++round) {
    std::map<Key, std::uint64_t> rows;
    std::vector<StoredSample> samples = sorted_part(random, rows, 400, 60);
    std::map<Key, std::uint64_t> truth;  // (pid, 0, stack)
    for (const auto& [key, count] : rows)
      truth[Key(std::get<0>(key), 0, std::get<2>(key))] += count;
    std::vector<StoredSample> shuffled = samples;
    std::shuffle(shuffled.begin(), shuffled.end(), random);
    for (std::vector<StoredSample>* part : {&samples, &shuffled}) {
      sum_threads(*part);
      ASSERT_EQ(part->size(), truth.size());
      auto expected = truth.begin();
      for (const StoredSample& s : *part) {
        EXPECT_EQ(Key(s.pid, s.tid, s.stack_id), expected->first);
        EXPECT_EQ(s.count, expected->second);
        ++expected;
      }
    }
  }
}

TEST(RefsMerger, LaterProcessAndThreadRowsWin) {
  RefsMerger merger;
  merger.add(WindowRefs{{1, 2, 3}, {10}, {}});
  merger.add(WindowRefs{{2, 4}, {11, 10}, {}});
  EXPECT_EQ(merger.process_ids(), (std::vector<std::int64_t>{1, 3, 2, 4}));
  EXPECT_EQ(merger.thread_ids(), (std::vector<std::int64_t>{11, 10}));
  EXPECT_TRUE(merger.samples().empty());
}

}  // namespace
}  // namespace ember::store

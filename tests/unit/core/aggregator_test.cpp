#include "aggregate/aggregator.hpp"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>

namespace ember {
namespace {

FrameHandle make_frame(const std::string& name, std::string kind = frame_kind::native) {
  return std::make_shared<const Frame>(Frame{name, "mod", "", 0, kind, false});
}

std::vector<std::string> names(const Window& window, std::uint32_t stack) {
  std::vector<std::string> out;
  for (std::uint32_t index : window.stacks.at(stack)) out.push_back(window.frames.at(index).name);
  return out;
}

TEST(Aggregator, CountsEachStackPerThread) {
  Aggregator aggregator;
  std::vector<FrameHandle> a{make_frame("main"), make_frame("hot_a")};
  std::vector<FrameHandle> b{a[0], make_frame("hot_b")};
  for (int i = 0; i < 7; ++i) aggregator.add(10, 11, a);
  for (int i = 0; i < 3; ++i) aggregator.add(10, 11, b);
  aggregator.add(10, 12, a);
  EXPECT_EQ(aggregator.sample_count(), 11u);

  Window window = aggregator.take(100, 200);
  EXPECT_EQ(window.start_ns, 100);
  EXPECT_EQ(window.end_ns, 200);
  EXPECT_EQ(window.total_samples(), 11u);
  ASSERT_EQ(window.stacks.size(), 2u);
  EXPECT_EQ(window.frames.size(), 3u);  // main shared by both stacks

  std::map<std::pair<std::string, std::uint32_t>, std::uint64_t> counts;
  for (const StackCount& count : window.samples) {
    counts[{names(window, count.stack).back(), count.tid}] += count.count;
    EXPECT_EQ(count.pid, 10u);
  }
  EXPECT_EQ((counts[{"hot_a", 11}]), 7u);
  EXPECT_EQ((counts[{"hot_b", 11}]), 3u);
  EXPECT_EQ((counts[{"hot_a", 12}]), 1u);
  EXPECT_EQ(window.threads.size(), 2u);
}

TEST(Aggregator, FramesEqualInContentBecomeOne) {
  Aggregator aggregator;
  // Two processes' caches name the same function with different objects.
  std::vector<FrameHandle> first{make_frame("main"), make_frame("memcpy")};
  std::vector<FrameHandle> second{make_frame("main"), make_frame("memcpy")};
  aggregator.add(1, 1, first);
  aggregator.add(2, 2, second);
  Window window = aggregator.take(0, 1);
  EXPECT_EQ(window.frames.size(), 2u);
  ASSERT_EQ(window.stacks.size(), 2u);
  EXPECT_EQ(window.stacks[0], window.stacks[1]);
}

TEST(Aggregator, KindsKeepFramesApart) {
  Aggregator aggregator;
  std::vector<FrameHandle> stack{make_frame("read", frame_kind::native),
                                 make_frame("read", frame_kind::kernel)};
  aggregator.add(1, 1, stack);
  Window window = aggregator.take(0, 1);
  EXPECT_EQ(window.frames.size(), 2u);
}

TEST(Aggregator, TakeStartsAnEmptyWindowAndNamesThreads) {
  Aggregator aggregator;
  std::vector<FrameHandle> stack{make_frame("main")};
  aggregator.add(5, 6, stack);
  aggregator.name_thread(5, 6, "worker-1");
  Window first = aggregator.take(0, 1);
  ASSERT_EQ(first.threads.size(), 1u);
  EXPECT_EQ(first.threads[0].name, "worker-1");

  Window second = aggregator.take(1, 2);
  EXPECT_EQ(second.total_samples(), 0u);
  EXPECT_TRUE(second.frames.empty());
  EXPECT_TRUE(second.stacks.empty());
  EXPECT_EQ(aggregator.sample_count(), 0u);
}

TEST(Aggregator, KeepsFramesAliveAfterTheirMakerDropsThem) {
  Aggregator aggregator;
  {
    std::vector<FrameHandle> stack{make_frame("short_lived")};
    aggregator.add(1, 1, stack);
  }  // the plugin's cache let go of the frame
  Window window = aggregator.take(0, 1);
  ASSERT_EQ(window.frames.size(), 1u);
  EXPECT_EQ(window.frames[0].name, "short_lived");
}

TEST(Aggregator, SamplesWithOtherLabelsAreCountedApart) {
  Aggregator aggregator;
  std::vector<FrameHandle> stack{make_frame("main"), make_frame("work")};
  std::vector<Label> worker{{"goroutine", "worker"}, {"route", "/buy"}};
  std::vector<Label> same_reordered{{"route", "/buy"}, {"goroutine", "worker"}};
  std::vector<Label> main{{"goroutine", "main"}};
  aggregator.add(1, 1, stack, 4, worker);
  aggregator.add(1, 1, stack, 1, same_reordered);
  aggregator.add(1, 1, stack, 2, main);
  aggregator.add(1, 1, stack, 3);
  Window window = aggregator.take(0, 1);
  EXPECT_EQ(window.stacks.size(), 1u);
  ASSERT_EQ(window.label_sets.size(), 2u);
  std::map<std::vector<Label>, std::uint64_t> counts;
  for (const StackCount& count : window.samples) {
    std::span<const Label> labels = window.labels_of(count);
    counts[std::vector<Label>(labels.begin(), labels.end())] += count.count;
  }
  std::vector<Label> worker_sorted{{"goroutine", "worker"}, {"route", "/buy"}};
  EXPECT_EQ(counts[worker_sorted], 5u);
  EXPECT_EQ(counts[main], 2u);
  EXPECT_EQ(counts[{}], 3u);
  EXPECT_TRUE(aggregator.take(1, 2).label_sets.empty());  // a new window starts without
}

TEST(Aggregator, ManyStacksKeepTheirFramesAndCountsThroughTake) {
  std::mt19937 random(3);
  std::vector<FrameHandle> pool;
  for (int i = 0; i < 50; ++i) pool.push_back(make_frame("f" + std::to_string(i)));
  std::weak_ptr<const Frame> dropped;
  {
    FrameHandle gone = make_frame("gone");
    dropped = gone;
    pool.push_back(gone);
    Aggregator aggregator;
    std::map<std::pair<std::vector<std::string>, std::uint32_t>, std::uint64_t> expected;
    for (int i = 0; i < 3000; ++i) {
      std::vector<FrameHandle> stack;
      std::vector<std::string> text;
      for (std::size_t depth = 1 + random() % 6; depth > 0; --depth) {
        stack.push_back(pool[random() % pool.size()]);
        text.push_back(stack.back()->name);
      }
      const auto tid = static_cast<std::uint32_t>(random() % 4);
      aggregator.add(1, tid, stack, 1 + i % 3);
      expected[{text, tid}] += 1 + i % 3;
    }
    pool.pop_back();
    gone.reset();
    Window window = aggregator.take(0, 1);
    std::map<std::pair<std::vector<std::string>, std::uint32_t>, std::uint64_t> got;
    for (const StackCount& count : window.samples) got[{names(window, count.stack), count.tid}] += count.count;
    EXPECT_EQ(got, expected);
    EXPECT_EQ(window.threads.size(), 4u);
  }
  EXPECT_TRUE(dropped.expired());  // the aggregator let go of it
}

// The open window's nodes live in mapped chunks that all go back at the
// close, not in the malloc heap between long-lived allocations.
TEST(Aggregator, AClosedWindowsBookkeepingGoesBackWhole) {
  Aggregator aggregator;
  EXPECT_EQ(aggregator.open_window_bytes(), 0u);
  std::vector<FrameHandle> pool;
  for (int i = 0; i < 100; ++i) pool.push_back(make_frame("f" + std::to_string(i)));
  constexpr int kStacks = 20000;
  for (int i = 0; i < kStacks; ++i) {
    std::vector<FrameHandle> stack{pool[i % 100], pool[i / 100 % 100], pool[i / 10000]};
    const auto tid = static_cast<std::uint32_t>(i % 50);
    aggregator.add(7, tid, stack);
    aggregator.name_thread(7, tid, ("a thread name longer than a short string " + std::to_string(tid)).c_str());
  }
  // At least a map node and a key per distinct stack.
  const std::size_t open_bytes = aggregator.open_window_bytes();
  EXPECT_GT(open_bytes, kStacks * (sizeof(void*) * 3 + sizeof(std::uint32_t)));

  Window window = aggregator.take(0, 1);
  EXPECT_EQ(aggregator.open_window_bytes(), 0u);
  // What the window holds is its own: read after the chunks went back.
  ASSERT_EQ(window.stacks.size(), std::size_t{kStacks});
  ASSERT_EQ(window.threads.size(), 50u);
  for (const ThreadInfo& thread : window.threads) {
    EXPECT_EQ(thread.name, "a thread name longer than a short string " + std::to_string(thread.tid));
  }
  EXPECT_EQ(window.frames.size(), 100u);

  // The next window maps afresh, a little for a little.
  aggregator.add(7, 1, pool);
  EXPECT_GT(aggregator.open_window_bytes(), 0u);
  EXPECT_LT(aggregator.open_window_bytes(), open_bytes);
  EXPECT_EQ(aggregator.take(1, 2).total_samples(), 1u);
  EXPECT_EQ(aggregator.open_window_bytes(), 0u);
}

}  // namespace
}  // namespace ember

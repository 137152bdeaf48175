#include "agent/record_queue.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace ember {
namespace {

std::string text(const void* data, std::size_t size) {
  return std::string(static_cast<const char*>(data), size);
}

// Takes every queued record, as strings.
std::vector<std::string> take_all(RecordQueue& queue) {
  std::vector<std::string> out;
  queue.take(0, [&](const void* data, std::size_t size) { out.push_back(text(data, size)); },
             SIZE_MAX, INT64_MAX);
  return out;
}

TEST(RecordQueueTest, HandsRecordsOverInOrderWithTheirBytes) {
  RecordQueue queue(1 << 20);
  EXPECT_TRUE(queue.empty());
  ASSERT_TRUE(queue.push("first", 5));
  ASSERT_TRUE(queue.push("a record of thirteen", 20));
  ASSERT_TRUE(queue.push("", 0));
  EXPECT_FALSE(queue.empty());
  EXPECT_EQ(take_all(queue), (std::vector<std::string>{"first", "a record of thirteen", ""}));
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.queued_bytes(), 0u);
}

TEST(RecordQueueTest, RefusesWhatDoesNotFitAndTakesAgainOnceRead) {
  // Each 56-byte record takes 64 bytes with its header: four fit in 256.
  RecordQueue queue(256);
  const std::string record(56, 'x');
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(queue.push(record.data(), record.size())) << i;
  EXPECT_FALSE(queue.push(record.data(), record.size()));
  EXPECT_FALSE(queue.push("y", 1));
  EXPECT_EQ(queue.queued_bytes(), 256u);
  EXPECT_EQ(queue.peak_bytes(), 256u);
  EXPECT_EQ(take_all(queue).size(), 4u);
  EXPECT_TRUE(queue.push(record.data(), record.size()));
}

TEST(RecordQueueTest, RecordsLargerThanAChunkAndAcrossChunksKeepTheirOrder) {
  RecordQueue queue(8 << 20);
  std::vector<std::string> pushed;
  // Sizes that leave every chunk's end unused, then one record bigger than a chunk.
  for (int i = 0; i < 300; ++i) {
    pushed.push_back(std::string(3000 + i * 7, static_cast<char>('a' + i % 26)));
  }
  pushed.push_back(std::string(600 * 1024, 'L'));
  pushed.push_back("after");
  for (const auto& record : pushed) ASSERT_TRUE(queue.push(record.data(), record.size()));
  EXPECT_EQ(take_all(queue), pushed);
  EXPECT_TRUE(queue.empty());
}

TEST(RecordQueueTest, TakeStopsAtItsMaximumAndLeavesTheRest) {
  RecordQueue queue(1 << 20);
  for (char c : std::string("abcde")) ASSERT_TRUE(queue.push(&c, 1));
  std::string seen;
  auto handler = [&](const void* data, std::size_t size) { seen += text(data, size); };
  EXPECT_EQ(queue.take(0, handler, 2, INT64_MAX), 2u);
  EXPECT_EQ(seen, "ab");
  EXPECT_EQ(queue.take(0, handler, SIZE_MAX, INT64_MAX), 3u);
  EXPECT_EQ(seen, "abcde");
  EXPECT_EQ(queue.take(0, handler, SIZE_MAX, INT64_MAX), 0u);
}

TEST(RecordQueueTest, TakeReturnsAtItsDeadlineAfterOneRecord) {
  RecordQueue queue(1 << 20);
  for (char c : std::string("abc")) ASSERT_TRUE(queue.push(&c, 1));
  std::size_t handled = 0;
  // A deadline already passed: one record, then the caller gets its turn.
  EXPECT_EQ(queue.take(0, [&](const void*, std::size_t) { ++handled; }, SIZE_MAX, 1), 1u);
  EXPECT_EQ(handled, 1u);
  EXPECT_FALSE(queue.empty());
}

TEST(RecordQueueTest, DiscardCountsTheSamplesLeft) {
  RecordQueue queue(1 << 20);
  for (std::string record : {"sample 1", "event", "sample 2", "sample 3"}) {
    ASSERT_TRUE(queue.push(record.data(), record.size()));
  }
  std::string first;
  queue.take(0, [&](const void* data, std::size_t size) { first = text(data, size); }, 1,
             INT64_MAX);
  EXPECT_EQ(first, "sample 1");
  EXPECT_EQ(queue.discard([](const void* data, std::size_t size) {
    return text(data, size).rfind("sample", 0) == 0;
  }),
            2u);
  EXPECT_TRUE(queue.empty());
  EXPECT_TRUE(take_all(queue).empty());
}

// The reader thread pushes while the worker takes, more than the queue holds
// at once: every record arrives once, in order, or was refused.
TEST(RecordQueueTest, AProducerAndAConsumerOnTwoThreadsLoseNothingUncounted) {
  RecordQueue queue(64 * 1024);
  constexpr std::uint32_t kRecords = 200000;
  std::atomic<bool> done{false};
  std::uint64_t refused = 0;
  std::thread producer([&] {
    for (std::uint32_t i = 0; i < kRecords; ++i) {
      std::uint32_t record[64];
      record[0] = i;
      if (!queue.push(record, sizeof(std::uint32_t) * (1 + i % 64))) ++refused;
      if (i % 256 == 0) queue.notify();
    }
    done = true;
    queue.notify();
  });
  std::uint64_t received = 0;
  std::int64_t last = -1;
  bool ordered = true;
  auto handler = [&](const void* data, std::size_t size) {
    std::uint32_t index = 0;
    std::memcpy(&index, data, sizeof(index));
    ordered = ordered && std::int64_t(index) > last && size == sizeof(index) * (1 + index % 64);
    last = index;
    ++received;
  };
  while (!done || !queue.empty()) queue.take(1, handler, SIZE_MAX, INT64_MAX);
  producer.join();
  EXPECT_TRUE(ordered);
  EXPECT_EQ(received + refused, kRecords);
  EXPECT_GT(received, 0u);
}

}  // namespace
}  // namespace ember

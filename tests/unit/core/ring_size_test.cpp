#include "sampler/ring_size.hpp"

#include <gtest/gtest.h>

namespace ember {
namespace {

constexpr std::uint32_t kMiB = 1 << 20;

bool power_of_two(std::uint32_t bytes) { return bytes && (bytes & (bytes - 1)) == 0; }

TEST(RingBytes, OneCpuOfFullSnapshotsNotAllOfThem) {
  // bench/overhead and bench/dwarf: 999 Hz on 2 CPUs, 16 KiB snapshots. A
  // quarter second of full snapshots on every CPU took 16 MiB, all of it in
  // the agent's RSS; a sixteenth of a second of one CPU's snapshots plus
  // leaf copies on every CPU fits in 2 MiB (the smaller copies taken past
  // half full hold a stopped reader's samples for longer).
  std::uint32_t bytes = ring_bytes_for(1024, 999, 2, 16384, 1024);
  EXPECT_TRUE(power_of_two(bytes));
  EXPECT_LE(bytes, 2 * kMiB);
  EXPECT_GE(bytes, 999u * (16384 + 1024) / 16 + 2 * 999u * 1024 / 16);
}

TEST(RingBytes, LowFrequencyKeepsTheConfiguredSize) {
  EXPECT_EQ(ring_bytes_for(1024, 99, 2, 16384, 1024), 1024u * 1024);
  EXPECT_EQ(ring_bytes_for(64, 99, 1, 0, 0), 64u * 1024);
  // A larger configured ring is never shrunk.
  EXPECT_EQ(ring_bytes_for(65536, 999, 2, 16384, 1024), 64 * kMiB);
}

TEST(RingBytes, GrowsWithCpusForLeafCopies) {
  // 64 CPUs at 999 Hz put ~190 MB/s of leaf copies on the ring.
  std::uint32_t many = ring_bytes_for(1024, 999, 64, 16384, 1024);
  EXPECT_TRUE(power_of_two(many));
  EXPECT_GE(many, 64u * 999 * 1024 / 16);
  EXPECT_GT(many, ring_bytes_for(1024, 999, 2, 16384, 1024));
  // Without snapshots less is needed, never more.
  EXPECT_LE(ring_bytes_for(1024, 999, 64, 0, 1024), many);
}

TEST(RingBytes, HoldsFourOfTheLargestRecords) {
  // 1 Hz with the largest stack copies: a sixteenth of a second of samples is
  // little, but a 64 KiB ring could not take even one 70 KiB record.
  std::uint32_t largest = largest_record_bytes(65536, 4096);
  EXPECT_GT(largest, 65536u);
  std::uint32_t bytes = ring_bytes_for(64, 1, 1, 65536, 4096);
  EXPECT_TRUE(power_of_two(bytes));
  EXPECT_GE(bytes, 4 * largest);
}

TEST(RingBytes, LargestRecordFollowsTheLargerStackCopy) {
  EXPECT_EQ(largest_record_bytes(16384, 1024) - largest_record_bytes(0, 1024), 16384u - 1024);
  EXPECT_EQ(largest_record_bytes(0, 4096), largest_record_bytes(4096, 0));
  // Never more than the sample's own buffer holds.
  EXPECT_EQ(largest_record_bytes(1 << 20, 0), largest_record_bytes(65536, 0));
}

TEST(RingBytes, Capped) {
  EXPECT_EQ(ring_bytes_for(1024, 100000, 4096, 65536, 4096), 256 * kMiB);
}

}  // namespace
}  // namespace ember

#include "sampler/wire.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <vector>

namespace ember {
namespace {

constexpr std::size_t kFixed = offsetof(ember_sample, kernel_frames);

// Packs like bpf/sampler.bpf.c's submit(): fixed part, then each array's used prefix.
std::vector<std::uint8_t> pack(const ember_sample& s) {
  std::vector<std::uint8_t> out(reinterpret_cast<const std::uint8_t*>(&s),
                                reinterpret_cast<const std::uint8_t*>(&s) + kFixed);
  auto append = [&](const void* data, std::size_t size) {
    const auto* bytes = static_cast<const std::uint8_t*>(data);
    out.insert(out.end(), bytes, bytes + size);
  };
  append(s.kernel_frames, s.kernel_frame_count * 8);
  append(s.user_frames, s.user_frame_count * 8);
  if (s.flags & EMBER_SAMPLE_HAS_FRAME_ADDRESSES) {
    append(s.user_frame_addresses, s.user_frame_count * 8);
  }
  append(s.runtime_frames, s.runtime_frame_count * sizeof(ember_runtime_frame));
  append(s.runtime_anchors, s.runtime_anchor_count * 8);
  append(s.stack_snapshot, s.snapshot_size);
  return out;
}

std::unique_ptr<ember_sample> sample_with_frames() {
  auto s = std::make_unique<ember_sample>();
  s->header.type = EMBER_RECORD_SAMPLE;
  s->header.pid = 42;
  s->kernel_frame_count = 2;
  s->kernel_frames[0] = 0xffffffff81000010;
  s->kernel_frames[1] = 0xffffffff81000020;
  s->user_frame_count = 3;
  for (int i = 0; i < 3; ++i) s->user_frames[i] = 0x401000 + i;
  s->runtime_frame_count = 1;
  s->runtime_frames[0] = {0xabc, 7};
  s->runtime_anchor_count = 1;
  s->runtime_anchors[0] = 0x7ffd0040;
  s->snapshot_size = 4;
  std::memcpy(s->stack_snapshot, "\x01\x02\x03\x04", 4);
  return s;
}

TEST(UnpackSample, RoundTripsEveryPart) {
  auto original = sample_with_frames();
  std::vector<std::uint8_t> wire = pack(*original);
  EXPECT_EQ(wire.size(), kFixed + 16 + 24 + 16 + 8 + 4);

  auto out = std::make_unique<ember_sample>();
  ASSERT_TRUE(unpack_sample(wire.data(), wire.size(), *out));
  EXPECT_EQ(out->header.pid, 42u);
  EXPECT_EQ(out->kernel_frames[1], 0xffffffff81000020u);
  EXPECT_EQ(out->user_frames[2], 0x401002u);
  EXPECT_EQ(out->runtime_frames[0].word0, 0xabcu);
  EXPECT_EQ(out->runtime_frames[0].word1, 7u);
  EXPECT_EQ(out->runtime_anchors[0], 0x7ffd0040u);
  EXPECT_EQ(std::memcmp(out->stack_snapshot, "\x01\x02\x03\x04", 4), 0);
}

TEST(UnpackSample, FrameAddressesTravelOnlyWhenFlagged) {
  auto original = sample_with_frames();
  original->flags = EMBER_SAMPLE_HAS_FRAME_ADDRESSES;
  for (int i = 0; i < 3; ++i) original->user_frame_addresses[i] = 0x7ffd1000 + 0x40 * i;
  std::vector<std::uint8_t> wire = pack(*original);
  EXPECT_EQ(wire.size(), kFixed + 16 + 24 + 24 + 16 + 8 + 4);

  auto out = std::make_unique<ember_sample>();
  ASSERT_TRUE(unpack_sample(wire.data(), wire.size(), *out));
  EXPECT_EQ(out->user_frame_addresses[2], 0x7ffd1080u);
  EXPECT_EQ(out->runtime_frames[0].word0, 0xabcu);
  EXPECT_EQ(out->runtime_anchors[0], 0x7ffd0040u);
  EXPECT_EQ(std::memcmp(out->stack_snapshot, "\x01\x02\x03\x04", 4), 0);
}

TEST(UnpackSample, ShortRecordsAreRejected) {
  auto original = sample_with_frames();
  std::vector<std::uint8_t> wire = pack(*original);
  auto out = std::make_unique<ember_sample>();
  EXPECT_FALSE(unpack_sample(wire.data(), wire.size() - 1, *out));
  EXPECT_FALSE(unpack_sample(wire.data(), kFixed - 1, *out));
}

TEST(UnpackSample, CountsBeyondTheArraysAreRejected) {
  for (int field = 0; field < 2; ++field) {
    auto original = sample_with_frames();
    if (field == 0) original->user_frame_count = EMBER_MAX_USER_FRAMES + 1;
    if (field == 1) original->runtime_anchor_count = EMBER_MAX_RUNTIME_ANCHORS + 1;
    std::vector<std::uint8_t> wire(reinterpret_cast<std::uint8_t*>(original.get()),
                                   reinterpret_cast<std::uint8_t*>(original.get()) + kFixed);
    wire.resize(sizeof(ember_sample));
    auto out = std::make_unique<ember_sample>();
    EXPECT_FALSE(unpack_sample(wire.data(), wire.size(), *out)) << "field " << field;
  }
}

}  // namespace
}  // namespace ember

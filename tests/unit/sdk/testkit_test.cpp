// The SDK's test kit (ember/testing/): a plugin author's unit tests rely on
// it behaving like the agent's host and the sampler's records.
#include <gtest/gtest.h>
#include <unistd.h>

#include "ember/testing/fake_host.hpp"
#include "ember/testing/sample_builder.hpp"

namespace ember {
namespace {

TEST(FakeHost, ServesTheTestsMemoryAndNothingAroundIt) {
  testkit::FakeHost host;
  struct Record {
    std::uint64_t a, b;
  } record{7, 9};
  host.add_object(42, 0x1000, record);
  Record read{};
  ASSERT_TRUE(host.read_memory(42, 0x1000, &read, sizeof(read)));
  EXPECT_EQ(read.b, 9u);
  std::uint64_t b = 0;
  ASSERT_TRUE(host.read_memory(42, 0x1008, &b, sizeof(b)));
  EXPECT_EQ(b, 9u);
  EXPECT_FALSE(host.read_memory(42, 0x1009, &b, sizeof(b))) << "read past the range";
  EXPECT_FALSE(host.read_memory(42, 0x0ff8, &b, sizeof(b))) << "read before the range";
  EXPECT_FALSE(host.read_memory(42, 0x2000, &b, sizeof(b)));
}

TEST(FakeHost, ReadsARealProcessWithoutTestMemory) {
  testkit::FakeHost host;
  static const std::uint64_t here = 0x1234abcd;
  std::uint64_t read = 0;
  ASSERT_TRUE(host.read_memory(static_cast<std::uint32_t>(getpid()),
                               reinterpret_cast<std::uint64_t>(&here), &read, sizeof(read)));
  EXPECT_EQ(read, here);
}

TEST(FakeHost, RecordsWhatThePluginAskedFor) {
  testkit::FakeHost host;
  host.log(LogLevel::warn, "cannot read the frame at 0x10");
  EXPECT_EQ(host.count(LogLevel::warn, "cannot read"), 1u);
  EXPECT_EQ(host.count(LogLevel::error, "cannot read"), 0u);
  EXPECT_EQ(host.find(LogLevel::warn, "frame"), "cannot read the frame at 0x10");

  std::uint32_t slot = 0;
  EXPECT_FALSE(host.register_bpf_program(3, slot)) << "a FakeHost has no sampler";
  EXPECT_EQ(host.bpf_map_fd("ember_scratch"), -1);
  ASSERT_TRUE(host.set_process_program(42, 3));
  EXPECT_EQ(host.process_program(42), 3u);
  ASSERT_TRUE(host.set_process_flags(42, EMBER_PROCESS_STACK_SNAPSHOT, true));
  EXPECT_EQ(host.process_flags(42), static_cast<std::uint32_t>(EMBER_PROCESS_STACK_SNAPSHOT));
  ASSERT_TRUE(host.set_process_flags(42, EMBER_PROCESS_STACK_SNAPSHOT, false));
  EXPECT_EQ(host.process_flags(42), 0u);

  EXPECT_TRUE(host.register_frame_kind("toyvm", "#e377c2"));
  EXPECT_FALSE(host.register_frame_kind("Toy VM", "#e377c2"));
  EXPECT_EQ(host.frame_kinds().at("toyvm"), "#e377c2");
}

TEST(SampleBuilder, FillsTheRecordAsTheSamplerWould) {
  auto sample = testkit::SampleBuilder(42, 43)
                    .comm("toyvm")
                    .user_frames({0x401000, 0x402000})
                    .runtime_frame(0x7000, 12, 0x7ffd0000)
                    .runtime_frame(0x7100, 3, 0x7ffd0100)
                    .runtime_program(2)
                    .build();
  EXPECT_EQ(sample->header.type, static_cast<std::uint32_t>(EMBER_RECORD_SAMPLE));
  EXPECT_EQ(sample->header.pid, 42u);
  EXPECT_EQ(sample->header.tid, 43u);
  EXPECT_STREQ(sample->header.comm, "toyvm");
  ASSERT_EQ(sample->user_frame_count, 2u);
  EXPECT_EQ(sample->user_frames[1], 0x402000u);
  ASSERT_EQ(sample->runtime_frame_count, 2u);
  ASSERT_EQ(sample->runtime_anchor_count, 2u);
  EXPECT_EQ(sample->runtime_frames[1].word0, 0x7100u);
  EXPECT_EQ(sample->runtime_frames[1].word1, 3u);
  EXPECT_EQ(sample->runtime_anchors[1], 0x7ffd0100u);
  EXPECT_EQ(sample->runtime_program, 2u);
  EXPECT_EQ(sample->kernel_frame_count, 0u);
}

}  // namespace
}  // namespace ember

#include "window_blobs.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "byte_codec.hpp"
#include "store_windows.hpp"

namespace ember::store {
namespace {

TEST(ByteCodec, VarintsAndZigzagRoundTripAtTheExtremes) {
  ByteWriter out;
  const std::uint64_t unsigned_values[] = {0, 1, 127, 128, 300, ~0ULL};
  const std::int64_t signed_values[] = {0, -1, 1, -64, 64, INT64_MIN, INT64_MAX};
  for (auto v : unsigned_values) out.varint(v);
  for (auto v : signed_values) out.svarint(v);
  out.bytes(std::string("a\0b", 3));
  ByteReader in(out.data());
  for (auto v : unsigned_values) EXPECT_EQ(in.varint(), v);
  for (auto v : signed_values) EXPECT_EQ(in.svarint(), v);
  EXPECT_EQ(in.bytes(), std::string("a\0b", 3));
  EXPECT_TRUE(in.done());
}

TEST(ByteCodec, EveryVarintLengthReadsBackInsideABlobAndAtItsEnd) {
  // The reader takes up to three bytes inline and longer ones apart: each
  // length at its limits, followed by more bytes and as the blob's last.
  std::vector<std::uint64_t> values;
  for (int bits = 7; bits <= 63; bits += 7) {
    values.push_back((std::uint64_t{1} << bits) - 1);
    values.push_back(std::uint64_t{1} << bits);
  }
  for (std::uint64_t value : values) {
    ByteWriter out;
    out.varint(value);
    std::string alone = out.data();
    out.varint(value);
    ByteReader both(out.data());
    EXPECT_EQ(both.varint(), value);
    EXPECT_EQ(both.varint(), value);
    EXPECT_TRUE(both.done());
    ByteReader last(alone);
    EXPECT_EQ(last.varint(), value);
    EXPECT_TRUE(last.done());
    // Cut before its last byte: damage, whatever its length.
    ByteReader cut(std::string_view(alone).substr(0, alone.size() - 1));
    EXPECT_THROW(cut.varint(), CorruptBlob) << value;
  }
}

TEST(ByteCodec, DamagedBlobsThrowCorruptBlob) {
  std::string packed = deflate_blob(std::string(1000, 'x'));
  EXPECT_EQ(inflate_blob(packed), std::string(1000, 'x'));
  EXPECT_THROW(inflate_blob(packed.substr(0, packed.size() / 2)), CorruptBlob);
  std::string flipped = packed;
  flipped[flipped.size() / 2] ^= 0x55;
  EXPECT_THROW(inflate_blob(flipped), CorruptBlob);
  EXPECT_THROW(inflate_blob("\xff\xff\xff\xff\x7f"), CorruptBlob);  // implausible size
  ByteReader cut("\x80");
  EXPECT_THROW(cut.varint(), CorruptBlob);
}

TEST(WindowBlobs, AnUnknownFormatIsDamage) {
  WindowRefs refs;
  EXPECT_THROW(decode_refs(encode_refs(refs), 3), CorruptBlob);
  std::vector<HostMetrics> host;
  std::vector<ProcessMetrics> processes;
  EXPECT_THROW(decode_metrics(encode_metrics(Window{}), 0, 0, host, processes), CorruptBlob);
}

TEST(WindowBlobs, RefsRoundTripAsASetOfSamples) {
  WindowRefs refs;
  refs.process_ids = {9, 3, 3, 1'000'000'000'000};
  refs.thread_ids = {5, 4};
  refs.samples = {
      {7, 100, 101, 2}, {3, 100, 100, 5}, {1'000'000, 4'000'000, 1, ~0ULL}, {2, 1, 1, 1}};
  for (std::int64_t format : {1, 2}) {
    SCOPED_TRACE("format " + std::to_string(format));
    WindowRefs back = decode_refs(encode_refs(refs, IdOrder::sorted, format), format);
    EXPECT_EQ(back.process_ids, (std::vector<std::int64_t>{3, 9, 1'000'000'000'000}));
    EXPECT_EQ(back.thread_ids, (std::vector<std::int64_t>{4, 5}));
    ASSERT_EQ(back.samples.size(), 4u);
    auto has = [&](std::int64_t stack, std::uint32_t pid, std::uint32_t tid, std::uint64_t count) {
      for (const auto& s : back.samples) {
        if (s.stack_id == stack && s.pid == pid && s.tid == tid && s.count == count) return true;
      }
      return false;
    };
    EXPECT_TRUE(has(7, 100, 101, 2));
    EXPECT_TRUE(has(3, 100, 100, 5));
    EXPECT_TRUE(has(1'000'000, 4'000'000, 1, ~0ULL));
    EXPECT_TRUE(has(2, 1, 1, 1));
  }
}

TEST(WindowBlobs, IdsAtTheExtremesRoundTripThroughWrappingDeltas) {
  // A damaged store can hand the encoder ids whose differences overflow (a
  // rollup re-encodes what it decoded); the deltas wrap, so they round-trip.
  WindowRefs refs;
  refs.process_ids = {INT64_MAX, -443, INT64_MIN, 0};
  refs.samples = {{INT64_MAX, 1, 1, 1}, {INT64_MIN, 1, 1, 2}, {-1, 2, 2, 3}};
  for (std::int64_t format : {1, 2}) {
    SCOPED_TRACE("format " + std::to_string(format));
    WindowRefs back = decode_refs(encode_refs(refs, IdOrder::kept, format), format);
    EXPECT_EQ(back.process_ids, refs.process_ids);
    std::vector<std::int64_t> stacks;
    for (const StoredSample& sample : back.samples) stacks.push_back(sample.stack_id);
    std::sort(stacks.begin(), stacks.end());
    EXPECT_EQ(stacks, (std::vector<std::int64_t>{INT64_MIN, -1, INT64_MAX}));
  }
}

TEST(WindowBlobs, MetricsRoundTripOrderedByTimeThenPid) {
  Window w = test::full_window(1'700'000'000'000'000'000);
  // Extremes and a clock going back: every value must survive the columns.
  w.process_metrics.push_back(ProcessMetrics{w.start_ns - 5, 7, -3.5, ~0ULL});
  w.process_metrics.push_back(ProcessMetrics{w.start_ns + 9, 7, 1e6, 0});
  w.host_metrics.push_back(HostMetrics{w.start_ns + 2, 1e-6, ~0ULL, 0});
  for (std::int64_t format : {1, 2}) {
    SCOPED_TRACE("format " + std::to_string(format));
    // Format 2 keeps times to the millisecond, the host's CPU to a
    // thousandth, a process' to a hundredth of a core.
    const std::int64_t time_slack = format == 1 ? 0 : 500'000;
    const double cpu_slack = format == 1 ? 1e-6 : 5e-4;
    const double process_cpu_slack = format == 1 ? 1e-6 : 5e-3;
    std::vector<HostMetrics> host;
    std::vector<ProcessMetrics> processes;
    decode_metrics(encode_metrics(w, format), format, w.start_ns, host, processes);
    ASSERT_EQ(host.size(), w.host_metrics.size());
    for (std::size_t i = 0; i < host.size(); ++i) {
      EXPECT_NEAR(host[i].time_ns, w.host_metrics[i].time_ns, time_slack);
      EXPECT_NEAR(host[i].cpu_utilization, w.host_metrics[i].cpu_utilization, cpu_slack);
      EXPECT_EQ(host[i].memory_total_bytes, w.host_metrics[i].memory_total_bytes);
      EXPECT_EQ(host[i].memory_available_bytes, w.host_metrics[i].memory_available_bytes);
    }
    std::vector<ProcessMetrics> expected = w.process_metrics;
    std::stable_sort(expected.begin(), expected.end(), [](const auto& a, const auto& b) {
      return std::tie(a.time_ns, a.pid) < std::tie(b.time_ns, b.pid);
    });
    ASSERT_EQ(processes.size(), expected.size());
    for (std::size_t i = 0; i < processes.size(); ++i) {
      EXPECT_NEAR(processes[i].time_ns, expected[i].time_ns, time_slack) << i;
      EXPECT_EQ(processes[i].pid, expected[i].pid) << i;
      EXPECT_NEAR(processes[i].cpu_cores, expected[i].cpu_cores, process_cpu_slack) << i;
      EXPECT_EQ(processes[i].rss_bytes, expected[i].rss_bytes) << i;
    }
  }
}

// A real step is a few ms late and its CPU is ticks over that length: format
// 2 stores both on the grid they are measured on (host CPU 0.001, process
// CPU 0.01 of a core, times 1 ms).
TEST(WindowBlobs, Format2MetricsAreOnAMillisecondAndThousandthGrid) {
  Window w;
  w.start_ns = 1'700'000'000'000'000'000;
  w.host_metrics.push_back(HostMetrics{w.start_ns + 1'003'456'789, 0.50049, 1, 1});
  w.process_metrics.push_back(ProcessMetrics{w.start_ns + 1'003'500'001, 3, 0.98765, 1});
  std::vector<HostMetrics> host;
  std::vector<ProcessMetrics> processes;
  decode_metrics(encode_metrics(w, 2), 2, w.start_ns, host, processes);
  ASSERT_EQ(host.size(), 1u);
  ASSERT_EQ(processes.size(), 1u);
  EXPECT_EQ(host[0].time_ns, w.start_ns + 1'003'000'000);
  EXPECT_DOUBLE_EQ(host[0].cpu_utilization, 0.5);
  EXPECT_EQ(processes[0].time_ns, w.start_ns + 1'004'000'000);
  EXPECT_DOUBLE_EQ(processes[0].cpu_cores, 0.99);
}

TEST(WindowBlobs, ColumnsOfSteadySeriesTakeAboutABytePerValue) {
  // A minute of 50 processes at 1 s whose RSS moves in pages and CPU in
  // /proc ticks: format 2 must beat format 1 by far (it is what keeps a day
  // under 50 MB).
  Window w;
  w.start_ns = 1'700'000'000'000'000'000;
  for (int step = 1; step <= 60; ++step) {
    for (std::uint32_t pid = 1; pid <= 50; ++pid) {
      w.process_metrics.push_back(ProcessMetrics{w.start_ns + step * 1'000'000'000LL, pid,
                                                 0.01 * ((step * pid * 7919) % 13),
                                                 4096ULL * (1000 + (step * pid) % 5)});
    }
  }
  std::size_t v1 = encode_metrics(w, 1).size(), v2 = encode_metrics(w, 2).size();
  EXPECT_LT(v2 * 2, v1) << "format 1: " << v1 << " bytes, format 2: " << v2;
}

}  // namespace
}  // namespace ember::store

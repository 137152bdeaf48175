#include "sampler/ring_reader.hpp"

#include <gtest/gtest.h>
#include <linux/bpf.h>

#include <cstring>
#include <string>
#include <vector>

namespace ember {
namespace {

// A ring laid out as the kernel writes it: records at increasing positions,
// each an 8-byte header then its bytes, padded to 8, wrapping at the end.
class FakeRing {
 public:
  explicit FakeRing(std::uint64_t size) : data_(size) {}

  void put(const std::string& bytes, std::uint32_t flags = 0) {
    std::uint32_t header[2] = {static_cast<std::uint32_t>(bytes.size()) | flags, 0};
    write(producer_, header, sizeof header);
    write(producer_ + BPF_RINGBUF_HDR_SZ, bytes.data(), bytes.size());
    producer_ += (bytes.size() + BPF_RINGBUF_HDR_SZ + 7) / 8 * 8;
  }
  // Starts the ring at `position` (as after laps of earlier records).
  void start_at(std::uint64_t position) { consumer_ = producer_ = position; }

  RingView view() { return RingView{&consumer_, &producer_, data_.data(), data_.size()}; }
  std::uint64_t consumer() const { return consumer_; }
  std::uint64_t producer() const { return producer_; }

 private:
  void write(std::uint64_t position, const void* bytes, std::size_t size) {
    for (std::size_t i = 0; i < size; ++i) {
      data_[(position + i) & (data_.size() - 1)] = static_cast<const std::uint8_t*>(bytes)[i];
    }
  }

  std::vector<std::uint8_t> data_;
  std::uint64_t consumer_ = 0;
  std::uint64_t producer_ = 0;
};

std::vector<std::string> drain(FakeRing& ring) {
  std::vector<std::string> records;
  std::vector<std::uint8_t> wrapped;
  std::size_t handled = consume_ring(ring.view(), wrapped, [&](const void* data, std::size_t size) {
    records.emplace_back(static_cast<const char*>(data), size);
  });
  EXPECT_EQ(handled, records.size());
  return records;
}

TEST(RingReader, RecordsInOrderDiscardedSkippedWrappedWhole) {
  FakeRing ring(256);
  ring.start_at(3 * 256 + 200);                           // a few laps in, 56 bytes before the end
  ring.put("first");                                      // 200..216
  ring.put("thrown away", BPF_RINGBUF_DISCARD_BIT);       // 216..240
  ring.put("across the end of the ring, in two pieces");  // 240..296: wraps
  ring.put("after");
  EXPECT_EQ(drain(ring), (std::vector<std::string>{
                             "first", "across the end of the ring, in two pieces", "after"}));
  EXPECT_EQ(ring.consumer(), ring.producer()) << "all space released";
  EXPECT_TRUE(drain(ring).empty());
}

TEST(RingReader, StopsAtARecordStillBeingWritten) {
  FakeRing ring(4096);
  ring.put("done");
  std::uint64_t busy_at = ring.producer();
  ring.put("being written", BPF_RINGBUF_BUSY_BIT);
  ring.put("behind it");
  EXPECT_EQ(drain(ring), (std::vector<std::string>{"done"}));
  EXPECT_EQ(ring.consumer(), busy_at) << "the busy record is read next time";
}

TEST(RingReader, OnePassUpToWhatWasWrittenWhenItBegan) {
  // A reader slower than the samplers must still return to the agent's loop.
  FakeRing ring(4096);
  ring.put("one");
  std::vector<std::string> records;
  std::vector<std::uint8_t> wrapped;
  consume_ring(ring.view(), wrapped, [&](const void* data, std::size_t size) {
    records.emplace_back(static_cast<const char*>(data), size);
    if (records.size() < 100) ring.put("written meanwhile");
  });
  EXPECT_EQ(records, (std::vector<std::string>{"one"}));
  EXPECT_EQ(drain(ring), (std::vector<std::string>{"written meanwhile"}));
}

TEST(RingReader, AtMostMaxRecordsThenTheRestNextTime) {
  // A reader whose queue is nearly full takes only what it has room for.
  FakeRing ring(4096);
  ring.put("one");
  ring.put("two");
  std::uint64_t after_two = ring.producer();
  ring.put("three");
  std::vector<std::string> records;
  std::vector<std::uint8_t> wrapped;
  auto keep = [&](const void* data, std::size_t size) {
    records.emplace_back(static_cast<const char*>(data), size);
  };
  EXPECT_EQ(consume_ring(ring.view(), wrapped, keep, 2), 2u);
  EXPECT_EQ(records, (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(ring.consumer(), after_two) << "the third record's space is kept";
  EXPECT_EQ(consume_ring(ring.view(), wrapped, keep, 0), 0u);
  EXPECT_EQ(drain(ring), (std::vector<std::string>{"three"}));
}

}  // namespace
}  // namespace ember

#include "ring_size.hpp"

#include <algorithm>

#include "ember/bpf/sample.h"

namespace ember {

std::uint32_t ring_bytes_for(std::uint32_t ring_buffer_kib, std::uint32_t frequency_hz,
                             std::uint32_t cpus, std::uint32_t stack_snapshot_bytes,
                             std::uint32_t leaf_snapshot_bytes) {
  // A sample's header, registers and frame addresses besides its stack copy
  // (127 user frames of 8 bytes at most, usually far fewer).
  constexpr std::uint64_t kRecordOverhead = 2048;
  // Capped, so many-CPU hosts stay sane.
  constexpr std::uint64_t kMax = 256ull << 20;
  std::uint64_t per_second =
      std::uint64_t{cpus} * frequency_hz * (leaf_snapshot_bytes + kRecordOverhead);
  if (stack_snapshot_bytes > 0) {
    per_second += std::uint64_t{frequency_hz} * (stack_snapshot_bytes + kRecordOverhead);
  }
  // The reader is woken once a sixteenth of the ring is pending and looks
  // every 5 ms anyway (reader_thread.cpp). Past half pending the sampler
  // cuts full snapshots to the leaf copy, past three quarters it drops the
  // leaf copies of processes on the frame-pointer walk (sampler.bpf.c), so
  // a reader scheduled late on a busy host loses stacks' roots and leaves'
  // callers before it loses samples. With 16 KiB snapshots on both CPUs at
  // 999 Hz half of this ring is ~30 ms of samples; a cut stack that still
  // reached its thread's start is whole (the native runtime's
  // process_symbolizer.cpp).
  std::uint64_t sixteenth_second = per_second / 16;
  std::uint64_t bytes = std::uint64_t{ring_buffer_kib} * 1024;
  std::uint64_t room = 4ull * largest_record_bytes(stack_snapshot_bytes, leaf_snapshot_bytes);
  while ((bytes < sixteenth_second || bytes < room) && bytes < kMax) bytes *= 2;
  return static_cast<std::uint32_t>(bytes);
}

std::uint32_t largest_record_bytes(std::uint32_t stack_snapshot_bytes,
                                   std::uint32_t leaf_snapshot_bytes) {
  constexpr std::uint32_t kRingRecordHeader = 8;  // BPF_RINGBUF_HDR_SZ
  std::uint32_t snapshot =
      std::min<std::uint32_t>(std::max(stack_snapshot_bytes, leaf_snapshot_bytes),
                              EMBER_MAX_STACK_SNAPSHOT);
  return static_cast<std::uint32_t>(sizeof(ember_sample)) - EMBER_MAX_STACK_SNAPSHOT + snapshot +
         kRingRecordHeader;
}

}  // namespace ember

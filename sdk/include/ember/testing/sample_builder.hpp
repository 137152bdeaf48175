// Builds the sample records a plugin's ProcessHandler reads, as the sampler
// and a runtime's BPF program would have filled them, for unit tests:
//
//   auto sample = ember::testkit::SampleBuilder(pid)
//                     .user_frames({leaf_pc, caller_pc})
//                     .runtime_frame(code, offset, anchor)
//                     .build();
//   handler->symbolize_runtime(*sample, groups);
//
// Header-only; part of the SDK's test kit (docs/plugin-sdk.md, "Testing").
#pragma once

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <string_view>

#include "ember/bpf/sample.h"

namespace ember::testkit {

class SampleBuilder {
 public:
  explicit SampleBuilder(std::uint32_t pid, std::uint32_t tid = 0)
      : sample_(std::make_unique<ember_sample>()) {
    std::memset(sample_.get(), 0, sizeof(ember_sample));
    sample_->header.type = EMBER_RECORD_SAMPLE;
    sample_->header.pid = pid;
    sample_->header.tid = tid ? tid : pid;
  }

  SampleBuilder& comm(std::string_view name) {
    std::size_t n = name.size() < EMBER_COMM_LEN - 1 ? name.size() : EMBER_COMM_LEN - 1;
    std::memcpy(sample_->header.comm, name.data(), n);
    sample_->header.comm[n] = '\0';
    return *this;
  }
  SampleBuilder& time_ns(std::uint64_t time) {
    sample_->header.time_ns = time;
    return *this;
  }
  // User code addresses, leaf first.
  SampleBuilder& user_frames(std::initializer_list<std::uint64_t> pcs) {
    for (std::uint64_t pc : pcs) {
      if (sample_->user_frame_count == EMBER_MAX_USER_FRAMES) break;
      sample_->user_frames[sample_->user_frame_count++] = pc;
    }
    return *this;
  }
  SampleBuilder& kernel_frames(std::initializer_list<std::uint64_t> pcs) {
    for (std::uint64_t pc : pcs) {
      if (sample_->kernel_frame_count == EMBER_MAX_KERNEL_FRAMES) break;
      sample_->kernel_frames[sample_->kernel_frame_count++] = pc;
    }
    return *this;
  }
  // One runtime frame (leaf first), as a runtime program appends it; with an
  // anchor, the anchors stay parallel to the frames.
  SampleBuilder& runtime_frame(std::uint64_t word0, std::uint64_t word1) {
    if (sample_->runtime_frame_count < EMBER_MAX_RUNTIME_FRAMES) {
      sample_->runtime_frames[sample_->runtime_frame_count++] = {word0, word1};
    }
    return *this;
  }
  SampleBuilder& runtime_frame(std::uint64_t word0, std::uint64_t word1, std::uint64_t anchor) {
    runtime_frame(word0, word1);
    if (sample_->runtime_anchor_count < EMBER_MAX_RUNTIME_ANCHORS) {
      sample_->runtime_anchors[sample_->runtime_anchor_count++] = anchor;
    }
    return *this;
  }
  // The slot of the program that added the runtime frames.
  SampleBuilder& runtime_program(std::uint32_t slot) {
    sample_->runtime_program = slot;
    return *this;
  }
  SampleBuilder& flags(std::uint32_t flags) {
    sample_->flags |= flags;
    return *this;
  }
  SampleBuilder& registers(std::uint64_t ip, std::uint64_t sp, std::uint64_t bp,
                           std::uint64_t bx = 0) {
    sample_->user_ip = ip;
    sample_->user_sp = sp;
    sample_->user_bp = bp;
    sample_->user_bx = bx;
    return *this;
  }

  // The sample (about 100 KiB: kept on the heap). The builder is spent.
  std::unique_ptr<ember_sample> build() { return std::move(sample_); }

 private:
  std::unique_ptr<ember_sample> sample_;
};

}  // namespace ember::testkit

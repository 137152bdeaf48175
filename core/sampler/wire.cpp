#include "wire.hpp"

#include <cstdint>
#include <cstring>

namespace ember {

bool unpack_sample(const void* data, std::size_t size, ember_sample& out) {
  constexpr std::size_t fixed = offsetof(ember_sample, kernel_frames);
  if (size < fixed) return false;
  const auto* bytes = static_cast<const std::uint8_t*>(data);
  std::memcpy(&out, bytes, fixed);
  if (out.kernel_frame_count > EMBER_MAX_KERNEL_FRAMES ||
      out.user_frame_count > EMBER_MAX_USER_FRAMES ||
      out.runtime_frame_count > EMBER_MAX_RUNTIME_FRAMES ||
      out.runtime_anchor_count > EMBER_MAX_RUNTIME_ANCHORS ||
      out.snapshot_size > EMBER_MAX_STACK_SNAPSHOT) {
    return false;
  }
  const std::size_t kernel = out.kernel_frame_count * sizeof(__u64);
  const std::size_t user = out.user_frame_count * sizeof(__u64);
  const std::size_t user_addresses = (out.flags & EMBER_SAMPLE_HAS_FRAME_ADDRESSES) ? user : 0;
  const std::size_t runtime = out.runtime_frame_count * sizeof(ember_runtime_frame);
  const std::size_t anchors = out.runtime_anchor_count * sizeof(__u64);
  if (size < fixed + kernel + user + user_addresses + runtime + anchors + out.snapshot_size) {
    return false;
  }

  const std::uint8_t* next = bytes + fixed;
  std::memcpy(out.kernel_frames, next, kernel);
  next += kernel;
  std::memcpy(out.user_frames, next, user);
  next += user;
  std::memcpy(out.user_frame_addresses, next, user_addresses);
  next += user_addresses;
  std::memcpy(out.runtime_frames, next, runtime);
  next += runtime;
  std::memcpy(out.runtime_anchors, next, anchors);
  next += anchors;
  std::memcpy(out.stack_snapshot, next, out.snapshot_size);
  return true;
}

}  // namespace ember

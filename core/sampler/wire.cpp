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
      out.snapshot_size > EMBER_MAX_STACK_SNAPSHOT) {
    return false;
  }
  const std::size_t kernel = out.kernel_frame_count * sizeof(__u64);
  const std::size_t user = out.user_frame_count * sizeof(__u64);
  const std::size_t runtime = out.runtime_frame_count * sizeof(ember_runtime_frame);
  if (size < fixed + kernel + user + runtime + out.snapshot_size) return false;

  const std::uint8_t* next = bytes + fixed;
  std::memcpy(out.kernel_frames, next, kernel);
  next += kernel;
  std::memcpy(out.user_frames, next, user);
  next += user;
  std::memcpy(out.runtime_frames, next, runtime);
  next += runtime;
  std::memcpy(out.stack_snapshot, next, out.snapshot_size);
  return true;
}

}  // namespace ember

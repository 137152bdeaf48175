// The kernel frames a native plugin names for some addresses, for the tests.
#pragma once

#include <vector>

#include "native_plugin.hpp"

namespace ember::native::test {

inline std::vector<FrameHandle> kernel_frames(NativePlugin& plugin, std::vector<__u64> addresses) {
  std::vector<FrameHandle> frames;
  plugin.symbolize_kernel(addresses, frames);
  return frames;
}

}  // namespace ember::native::test

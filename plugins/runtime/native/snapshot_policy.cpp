#include "snapshot_policy.hpp"

#include <array>

namespace ember::native {

Status parse_snapshot_mode(std::string_view text, SnapshotMode& out) {
  if (text == "auto") {
    out = SnapshotMode::automatic;
  } else if (text == "always") {
    out = SnapshotMode::always;
  } else if (text == "never") {
    out = SnapshotMode::never;
  } else {
    return Status::error("must be \"auto\", \"always\" or \"never\", got \"" + std::string(text) +
                         "\"");
  }
  return Status::ok();
}

bool omits_frame_pointers(const FramePointerScan& scan) {
  return scan.fdes > 0 && scan.rbp_share() < 0.10;
}

bool is_runtime_library(std::string_view path) {
  std::string_view name = path.substr(path.rfind('/') + 1);
  static constexpr std::array<std::string_view, 9> kNames = {"libc",     "libm",      "libpthread",
                                                             "libdl",    "librt",     "libresolv",
                                                             "libgcc_s", "libstdc++", "ld-linux"};
  for (std::string_view known : kNames) {
    if (name.size() > known.size() && name.starts_with(known) &&
        (name[known.size()] == '.' || name[known.size()] == '-')) {
      return true;
    }
  }
  return false;
}

bool needs_full_snapshot(SnapshotMode mode, std::span<const MappedCode> code) {
  if (mode != SnapshotMode::automatic) return mode == SnapshotMode::always;
  for (const MappedCode& object : code) {
    if (object.frame_pointers && omits_frame_pointers(*object.frame_pointers) &&
        !is_runtime_library(object.path)) {
      return true;
    }
  }
  return false;
}

bool CheapPathJudge::truncated_too_often(bool truncated) {
  if (samples_ == kWindow) samples_ = truncated_ = 0;
  ++samples_;
  truncated_ += truncated;
  return truncated_ * 20 > kWindow;
}

}  // namespace ember::native

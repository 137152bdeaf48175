// Which processes the sampler copies a full stack snapshot for (DWARF
// unwinding in userspace) and which keep the cheap frame-pointer walk, plus
// the small leaf snapshot every process gets.
//
// "auto" judges each executable object a process maps by its .eh_frame: an
// object where under 10% of the functions move the CFA to rbp was built
// without frame pointers (Debian's libc, libstdc++ and python3.11 score
// 0-3%; gcc -fno-omit-frame-pointer code 50% and up, the rest being crt
// stubs). Such an object puts the process on the full snapshot, except the
// C/C++ runtime libraries every process maps (glibc, libgcc_s, libstdc++):
// their hot code is leaves (memcpy, malloc, syscall wrappers), which the
// leaf snapshot unwinds by CFI, and the few callbacks through them (qsort,
// thread start) cost at most the frames between, not the whole stack. If
// they counted, every process on Debian would pay for full snapshots.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "cfi_scan.hpp"
#include "ember/status.hpp"

namespace ember::native {

enum class SnapshotMode { automatic, always, never };

Status parse_snapshot_mode(std::string_view text, SnapshotMode& out);

// True when the object's CFI says it was built without frame pointers.
bool omits_frame_pointers(const FramePointerScan& scan);

// glibc's libraries, the dynamic loader, libgcc_s and libstdc++.
bool is_runtime_library(std::string_view path);

struct MappedCode {
  std::string_view path;
  const FramePointerScan* frame_pointers = nullptr;  // null: unknown (no .eh_frame)
};

bool needs_full_snapshot(SnapshotMode mode, std::span<const MappedCode> code);

// The samples' say in "auto" mode: an object judged to keep frame pointers
// may still hold hot functions without them (a Rust binary whose std has
// frame pointers and whose own code hasn't; glue between an interpreter and
// a native extension). More than 1 in 20 of a window of 64 cheap-path
// stacks ending truncated moves the process to full snapshots, decided at
// the stack that makes it more, not at the window's end: every sample taken
// meanwhile on the cheap path is one whose stack is cut short.
class CheapPathJudge {
 public:
  static constexpr std::uint32_t kWindow = 64;

  // Counts one cheap-path stack; true once the process should move.
  bool truncated_too_often(bool truncated);
  std::uint32_t samples() const { return samples_; }
  std::uint32_t truncated() const { return truncated_; }

 private:
  std::uint32_t samples_ = 0;
  std::uint32_t truncated_ = 0;
};

}  // namespace ember::native

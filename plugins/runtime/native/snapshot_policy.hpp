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

}  // namespace ember::native

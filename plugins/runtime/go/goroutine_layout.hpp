// Where a Go program keeps the pprof labels of its running goroutine, per Go
// version (linux/amd64): the g at a fixed offset from the thread pointer,
// g.m, m.curg and g.labels, which points at the goroutine's labelMap (a
// variable holding the map).
//
// Offsets are listed only for versions they were read for, from the DWARF of
// a build of that version (tests/unit/go/goroutine_layout_test.cpp checks
// them against the installed Go); other versions get none, never a guess.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "elf_view.hpp"

namespace ember::go {

struct GoroutineLayout {
  std::uint32_t g_m = 0;       // offsetof(runtime.g, m)
  std::uint32_t m_curg = 0;    // offsetof(runtime.m, curg)
  std::uint32_t g_labels = 0;  // offsetof(runtime.g, labels)
};

// "go1.19" of "go1.19.8" (also "go1.19rc1", "go1.19.8 X:boringcrypto"); empty
// when `version` is not a Go release.
std::string go_release(std::string_view version);

// The layout of `version` (runtime.buildVersion), when it is known.
std::optional<GoroutineLayout> goroutine_layout(std::string_view version);

// Where the running g is, as an offset from the thread pointer (fs base), in
// a Go executable: Go's runtime.tlsg is the first and only word of the
// executable's TLS block, which sits just below the thread pointer. That
// holds for an internal link (no PT_TLS: Go sets fs itself, g at -8) and an
// external one whose TLS block is that one word. Otherwise (C thread-locals
// beside it, a shared library's dynamic TLS) the offset is not known: none,
// and `why` says so.
std::optional<std::int64_t> g_tls_offset(const ElfView& executable, std::string& why);

}  // namespace ember::go

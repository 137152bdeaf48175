// Speedscope's JSON format (https://www.speedscope.app/file-format-schema.json):
// one "sampled" profile per thread, named "python3 (pid 1234) / worker-1 (tid 1240)",
// over one shared frame table. An extra top-level "ember" object carries what
// the schema has no place for (speedscope ignores unknown keys):
//   {"frequency_hz", "start_ns", "end_ns", "lost_samples",
//    "processes": [{"pid", "comm", "exe", "cmdline", "container_id"}],
//    "frame_kinds": ["native", "kernel", ...],   one per shared frame, same order
//    "inlined_frames": [4, 9]}                   shared frames that are inlined functions
// Frames carry "file" and "line" where known (native frames with DWARF:
// the line of the address, or of the inlined call for the caller of an
// inlined function).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "ember/status.hpp"
#include "ember/window.hpp"

namespace ember::formats {

struct SpeedscopeOptions {
  // The file's "name"; empty: "ember <window start, UTC>".
  std::string name;
};

// For several windows, pass merge_windows(...) (window_merger.hpp).
std::string speedscope_json(const Window& window, const SpeedscopeOptions& options = {});

// The same bytes handed to `write` in pieces of about 64 KiB, so the file
// is never held whole; stops at the first error `write` returns.
using SpeedscopePieceWriter = std::function<Status(std::string_view)>;
Status write_speedscope(const Window& window, const SpeedscopeOptions& options,
                        const SpeedscopePieceWriter& write);

}  // namespace ember::formats

// pprof (github.com/google/pprof proto/profile.proto), gzip-compressed: what
// `go tool pprof`, Pyroscope, Parca and Cloud Profiler read.
//
// - Sample types: samples/count and cpu/nanoseconds (count x 1e9 / frequency);
//   the period is cpu/nanoseconds too.
// - One Location per distinct frame chain: a frame plus the frames inlined
//   into it (Frame::inlined, which follow it root first) as extra Lines, the
//   innermost first, as pprof models inlining. One Function per name, file and
//   kind; its filename is the source file, or the module when none is known.
//   One Mapping per module.
// - Labels on every sample: pid and tid (numbers), process (comm), thread
//   (thread name), and when known container (name, else id), container_id,
//   pod_uid, pod (the pod's name), service, exe, cmdline; plus one `kind` label per frame kind in the stack
//   (python, native, kernel, ...), so `-tagfocus kind=python` keeps the
//   samples that ran Python.
#pragma once

#include <string>

#include "ember/window.hpp"

namespace ember::formats {

// With `metrics`, the window's host and process metrics too, in fields of
// ember's own (profile.proto): what the upload sink sends, so the fleet's
// timeline has them; files and exports leave them out.
struct PprofOptions {
  bool metrics = false;
};

// The serialized Profile message, uncompressed.
std::string pprof_protobuf(const Window& window, PprofOptions options = {});

// The file: pprof_protobuf() gzip-compressed. Throws std::runtime_error if
// zlib fails.
std::string pprof_gzip(const Window& window, PprofOptions options = {});

}  // namespace ember::formats

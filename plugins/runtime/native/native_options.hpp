// The [runtime.native] section, read once by NativePlugin::configure.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ember/options.hpp"
#include "ember/status.hpp"
#include "snapshot_policy.hpp"

namespace ember::native {

struct NativeOptions {
  // Where kernel symbols come from (a copy of kallsyms works for replays and tests).
  std::string kallsyms_path = "/proc/kallsyms";
  // What is worth keeping between runs: the parsed kallsyms of this boot,
  // uncompressed copies of debug files with compressed sections. Empty:
  // nothing is kept.
  std::string cache_dir = "/var/cache/ember";
  // The debug file copies beyond this are deleted, oldest first.
  std::size_t max_cache_bytes = std::size_t{512} << 20;
  // A process' maps are re-read at most this often when an address falls
  // outside every known mapping (dlopen, new threads' stacks).
  std::chrono::milliseconds maps_refresh_interval{250};
  // Per process (and for the kernel): above this many cached frames the
  // cache starts over, so a process with endless garbage addresses stays bounded.
  std::size_t max_cached_frames = 65536;
  bool demangle = true;
  // Which processes get a full stack snapshot for DWARF unwinding
  // (snapshot_policy.hpp); the sizes are [sampler] options.
  SnapshotMode stack_snapshot = SnapshotMode::automatic;
  // File and line of native frames, and inlined functions as frames of
  // their own, where DWARF exists (in the object or its debug file).
  bool lines = true;
  // Where separate debug files are looked for (by build id and
  // .gnu_debuglink), inside the process' root first, then on the host.
  // Empty: separate debug files are not used.
  std::vector<std::string> debug_dirs{"/usr/lib/debug"};
  // Heap that open DWARF handles may hold (line tables of the units read),
  // estimated; the least recently used handles are closed beyond it.
  std::size_t max_debug_info_bytes = std::size_t{16} << 20;
  // DWARF files open at once (each holds a descriptor and a mapping).
  std::size_t max_open_debug_files = 16;
  // A DWARF file no lookup used for this long is closed (its heap trimmed);
  // zero: closed only beyond the two limits above.
  std::chrono::seconds debug_file_idle_close{10};
  // debuginfod servers, asked by build id for the debug files of objects no
  // local source has DWARF for (debuginfod_fetcher.hpp). From the
  // `debuginfod_urls` key when it is there (empty: off, whatever the
  // environment says), else from DEBUGINFOD_URLS; empty: off.
  std::vector<std::string> debuginfod_urls;
  std::string debuginfod_urls_from;  // "debuginfod_urls" or "DEBUGINFOD_URLS", for the log
  // Fetched debug files kept in cache_dir/debuginfod beyond this are
  // deleted, least recently used first.
  std::uint64_t max_debuginfod_cache_bytes = std::uint64_t{1} << 30;
};

// The URLs of a DEBUGINFOD_URLS-style value: separated by spaces.
std::vector<std::string> split_debuginfod_urls(const std::string& value);

Status read_native_options(const Options& options, NativeOptions& out);

}  // namespace ember::native

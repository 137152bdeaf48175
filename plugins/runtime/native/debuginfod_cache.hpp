// libdebuginfod's cache has no size limit of its own: it only removes files
// unused for a week (its max_unused_age_s control file), once a day. The
// agent keeps it under a size: the least recently used files go first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace ember::native {

struct CacheTrim {
  std::uint64_t kept_bytes = 0;
  std::uint64_t removed_bytes = 0;
  std::size_t removed_files = 0;
};

// Deletes files of the cache at `dir` (those below its per-build-id
// directories; the control files at its top stay), least recently used
// first (the later of access and modification), until the rest total at
// most `max_bytes`, and the directories that leaves empty. A file used at or
// after `keep_since_ns` (realtime) stays whatever the total: a fetch in
// flight, the file just fetched.
CacheTrim trim_debuginfod_cache(const std::string& dir, std::uint64_t max_bytes,
                                std::int64_t keep_since_ns);

// Marks the file at `path` used now (its access time), for the trim and for
// libdebuginfod's own cleaning, which go by it.
void mark_used(const std::string& path);

}  // namespace ember::native

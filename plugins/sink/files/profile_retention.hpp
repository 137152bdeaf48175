// Keeps a profile directory within its limits ([sink.files] max_age and
// max_size): of the files the sink writes there (ember-*), those older than
// max_age go, then the oldest while they add up to more than max_size. The
// window just written always stays; other files are never touched.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ember::files {

struct ProfileLimits {
  std::int64_t max_age_ns = 0;  // 0: no limit
  std::int64_t max_bytes = 0;   // 0: no limit
};

struct Pruned {
  std::size_t files = 0;
  std::uintmax_t bytes = 0;
  std::string error;  // the first file that could not be looked at or removed
};

// `keep`: the paths of the window just written.
Pruned prune_profiles(const std::string& directory, const ProfileLimits& limits,
                      const std::vector<std::string>& keep);

}  // namespace ember::files

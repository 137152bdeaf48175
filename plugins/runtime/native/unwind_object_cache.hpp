// UnwindObjects shared by every process that maps the same file: known by
// the file's identity, then by build id (the same build in two containers is
// read once). Entries live as long as some process' unwinder holds them, and
// the 256 most recently asked for a further 10 s (recent_objects.hpp): the
// next short-lived process of the same programs finds them read.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "ember/host.hpp"
#include "mapped_file.hpp"
#include "recent_objects.hpp"
#include "unwind_object.hpp"

namespace ember::native {

class UnwindObjectCache {
 public:
  using Clock = RecentObjects<UnwindObject>::Clock;

  explicit UnwindObjectCache(Host& host) : host_(host) {}

  // nullptr when the file cannot be read (logged once per file).
  std::shared_ptr<const UnwindObject> get(const MappedFile& file, const std::string& path);

  // Lets go of the entries no unwinder asked for in the last 10 s; cheap
  // when none is due (for every sample).
  void expire_kept(Clock::time_point now = Clock::now());

 private:
  using Entries = std::unordered_map<std::string, std::weak_ptr<const UnwindObject>>;

  Host& host_;
  std::mutex mutex_;
  Entries by_identity_;
  Entries by_build_id_;
  std::unordered_set<std::string> failed_;  // identities, logged once
  std::size_t inserts_since_sweep_ = 0;
  RecentObjects<UnwindObject> kept_{256, std::chrono::seconds(10)};
};

}  // namespace ember::native

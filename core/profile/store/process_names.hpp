// A read's processes folded by name (StoreReader::read_process_names): what a
// flame graph of everything draws, as its roots are process names. Under
// churn a half hour holds hundreds of thousands of processes of a few dozen
// names, and a ProcessInfo is ~280 bytes before its strings.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ember/window.hpp"
#include "window_blobs.hpp"

namespace ember::store {

class NameFold {
 public:
  // A process row; for a pid added more than once the last one counts.
  void add(std::uint32_t pid, std::string_view comm);

  // The folded processes: one per distinct non-empty name, with the lowest
  // pid of those that had it and every other field empty; a process without
  // a name is one of its own (its pid alone). Ordered by pid.
  std::vector<ProcessInfo> finish();

  // After finish(): the pid whose process holds `pid`'s samples (a pid no
  // row named stands for itself).
  std::uint32_t pid_for(std::uint32_t pid) const;

 private:
  std::unordered_map<std::string, std::uint32_t> name_index_;  // name -> index in names_
  std::vector<std::string> names_;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> rows_;  // (pid, name index) as added
  std::vector<std::pair<std::uint32_t, std::uint32_t>> pids_;  // (pid, pid for it), by pid
};

// Merged rows (StoredSample, tid 0) moved to their folded process and
// summed per (pid, stack id), sorted by them, in place.
void fold_rows(const NameFold& fold, std::vector<StoredSample>& rows);

// `window`'s samples moved to their folded process (pid_for) and summed per
// (pid, stack, labels), tid 0, sorted by them; `threads` emptied.
void fold_samples(const NameFold& fold, Window& window);

// `window` folded by name: NameFold over its processes, then its samples.
void fold_by_name(Window& window);

}  // namespace ember::store

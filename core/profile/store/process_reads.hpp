// Reads of some of a range's processes (StoreReader): folded by name
// (read_process_names), what a flame graph of everything draws, as its roots
// are process names; or only those a filter keeps (read_process_samples_of),
// what a picked target's flame graph or table needs. Under churn a half hour
// holds hundreds of thousands of processes of a few dozen names, and a
// ProcessInfo is ~280 bytes before its strings.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ember/window.hpp"
#include "store_reader.hpp"
#include "window_blobs.hpp"

namespace ember::store {

// The processes of one name folded into one. Its pids may be process keys
// (window_process_key.hpp): the fold only compares them.
class NameFold {
 public:
  // A process row; for a pid added more than once the last one counts.
  void add(std::uint32_t pid, std::string_view comm);
  // Before finish(): every pid added replaced by what `to` makes of it.
  void rekey(const std::function<std::uint32_t(std::uint32_t)>& to);

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

// The processes a filter keeps, each judged on its newest row and put where
// a read of every process puts it (its first row's place). A process is its
// key: its pid, or a reused pid's key (PidInstances), as its rows are merged.
class ProcessSelection {
 public:
  explicit ProcessSelection(const StoreReader::ProcessWanted& wanted) : wanted_(wanted) {}

  // A process row, oldest first, and its process's key.
  void add(ProcessInfo process, std::uint32_t key);

  // The processes kept, in their places; `keys` gets their keys.
  std::vector<ProcessInfo> finish(std::vector<std::uint32_t>& keys);

  // After finish(): whether the samples of process `key` stay (a key no
  // row described is judged by its pid alone).
  bool keeps(std::uint32_t key) const;

 private:
  const StoreReader::ProcessWanted& wanted_;
  std::vector<ProcessInfo> processes_;
  std::vector<bool> dropped_;                                  // by index in processes_
  std::vector<std::uint32_t> keys_;                            // by index in processes_
  std::unordered_map<std::uint32_t, std::size_t> index_;       // key -> index in processes_
  std::vector<std::pair<std::uint32_t, std::uint32_t>> rows_;  // (key, place); by key after finish
  std::vector<std::uint32_t> kept_;                            // sorted, after finish
};

// Merged rows of the processes `selection` keeps, the others dropped.
void keep_rows(const ProcessSelection& selection, std::vector<StoredSample>& rows);

// Merged rows (StoredSample, tid 0) moved to their folded process and
// summed per (pid, stack id), sorted by them, in place.
void fold_rows(const NameFold& fold, std::vector<StoredSample>& rows);

// `window`'s samples moved to their folded process (pid_for of their process
// key) and summed per (process, stack, labels), tid 0, sorted by them;
// `threads` emptied.
void fold_samples(const NameFold& fold, Window& window);

// `window` folded by name: NameFold over its processes, then its samples.
void fold_by_name(Window& window);

}  // namespace ember::store

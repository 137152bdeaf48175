// Processes that shared a pid over a read's range, kept apart. With pid_max
// 32768 and 200 processes started a second, a pid comes back every ~3
// minutes: merged by pid alone, a half hour of such a host put an eighth of
// its Pythons' samples under the `true` that last had their pids.
//
// The rows of one pid and one name (comm) are one process. Before the parts
// (windows, rollups) of a range are merged, each part's samples are keyed
// by their process: a pid's first name in the read keeps the pid as its key,
// each other name gets the pid with a slot above the pid's bits, so a pid
// never reused costs nothing. After the merge, final_key() turns keys into
// process keys (window_process_key.hpp): instance 0 for the pid's newest
// name, 1 and up for the others.
//
// A part's samples carry part keys: the pid, with the slot of its name
// among the part's rows of that pid (process_ids order, first come first).
// A window mostly has one row per pid, so its samples carry plain pids; a
// pid that ran two programs in it (a shell's child before and after its
// exec) has a row for each and its samples part keys (window_part_keys). A
// rollup, whose samples merge many windows', stores them as part keys
// (to_part_keys) and is read back through its rows as a window is. A part's
// pid without a row of its own (a window whose process the agent had lost)
// stays as it is.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ember/window.hpp"
#include "sqlite_db.hpp"
#include "window_blobs.hpp"

namespace ember::store {

// An agent window's sample keys (window_process_key) -> their part keys,
// for the pids with more than one process in it; `row_ids`: the window's
// processes' rows, in its order (the window's part lists them sorted).
std::unordered_map<std::uint32_t, std::uint32_t> window_part_keys(
    const Window& window, const std::vector<std::int64_t>& row_ids);

class PidInstances {
 public:
  // `on_new_key`, when given, hears of each process the first time a part's
  // row names it (its key and name): a read by name needs no other pass
  // over the rows.
  using NewKey = std::function<void(std::uint32_t key, std::string_view comm)>;
  explicit PidInstances(Database& db, NewKey on_new_key = {});

  // The part's samples' part keys replaced by their keys (its rows:
  // `refs.process_ids`, the last row of a pid its newest so far).
  void key_samples(WindowRefs& refs);
  // The reverse, for a merge about to be stored as a part (a rollup): keys
  // to part keys by `refs.process_ids`, the samples sorted again.
  void to_part_keys(WindowRefs& refs);

  // A process row of the range, rows oldest first: its key. A pid's last
  // row names its newest process.
  std::uint32_t key_of_row(std::uint32_t pid, std::string_view comm);

  // After every row: the process key each key stands for.
  std::uint32_t final_key(std::uint32_t key) const;
  // Whether any key stands for another number (a pid was reused).
  bool any_reused() const { return !other_names_.empty(); }

 private:
  struct Names {
    std::uint32_t first_name = 0;  // hash of the first name
    std::uint32_t slots = 1;       // names seen
    std::uint32_t newest = 0;      // slot of the newest row's name
  };
  std::uint32_t slot_of(std::uint32_t pid, std::string_view comm, bool& added);
  std::uint32_t key_of_row_id(std::int64_t id);
  // part key -> key of the part's rows (a pid's first name in part_first_,
  // the others, rare, in part_more_).
  void map_part(const std::vector<std::int64_t>& process_ids);
  std::uint32_t part_key_of(std::uint32_t key) const;  // after map_part

  Statement row_;  // (pid, comm) of a process row
  NewKey on_new_key_;
  std::unordered_map<std::int64_t, std::uint32_t> row_keys_;  // row id -> key, bounded
  std::unordered_map<std::uint32_t, Names> pids_;
  std::unordered_map<std::uint64_t, std::uint32_t> other_names_;    // (pid, name hash) -> slot
  std::unordered_map<std::uint32_t, std::uint32_t> part_first_;     // pid -> key of its first name
  std::vector<std::pair<std::uint32_t, std::uint32_t>> part_more_;  // (part key, key)
};

}  // namespace ember::store

// The programs each pid ran over a run of windows (`ember record`, a files
// sink's one file): a pid is one process per name (comm), as in a store read
// (store/pid_instances.hpp). A busy host with pid_max 32768 reuses every pid
// within minutes: merged by pid, a run longer than that put a Python's
// samples under the `true` that had its pid last.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ember/window.hpp"

namespace ember::formats {

class RunPrograms {
 public:
  // Window keys (window_process_key) -> run keys: the pid with, above its
  // bits, the place of the program's name among the pid's names in the run.
  using Keys = std::unordered_map<std::uint32_t, std::uint32_t>;

  // The run keys of the window's processes; its instance-0 process is its
  // pid's newest program so far.
  Keys add(const Window& window);

  // A sample's run key: its process's, or the pid's first name's when its
  // window lists no process for it.
  static std::uint32_t key_of(const Keys& keys, const StackCount& sample);

  // The run key's name ("" when no window named it).
  std::string_view name(std::uint32_t run_key) const;
  // Its ProcessInfo::instance over the run: 0 for the pid's newest program,
  // 1 and up for the others in the order they came.
  std::uint32_t instance(std::uint32_t run_key) const;

 private:
  struct Names {
    std::vector<std::string> names;  // in the order they came
    std::uint32_t newest = 0;        // place of the newest
  };
  std::unordered_map<std::uint32_t, Names> pids_;
};

}  // namespace ember::formats

// The programs each pid ran in the open window. A shell's child runs the
// shell until its exec; a pid comes back for another program once the
// first exits. Samples of each program are counted apart, and the closed
// window holds one process per program (ProcessInfo::instance), so a
// tool's flame graph does not start with its parent shell's work.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "ember/window.hpp"
#include "process/process_table.hpp"

namespace ember {

class WindowPrograms {
 public:
  // The key (window_process_key) a sample of `program` is counted under: the
  // pid for the pid's first program of the window, the pid with a slot above
  // its bits for each other.
  std::uint32_t key_of(const ProcessState& program);

  // `program` is about to leave the table (its pid exec'd or came back for
  // another process): what it is, kept when it had samples in the window.
  void leaving(const ProcessState& program);

  // The closed window's processes (the table's entries, the kept ones), its
  // samples and threads keyed back by pid and instance: a pid's newest
  // program instance 0, its others 1 and up in the order they ran, before
  // it in `processes`. Starts the next window.
  void fill(Window& window, ProcessTable& table);

 private:
  struct Program {
    std::uint64_t serial = 0;           // ProcessState::serial
    std::unique_ptr<ProcessInfo> left;  // once it left the table
  };
  struct Programs {
    Program first;
    std::vector<Program> more;  // rare: an exec or reuse within the window
  };
  static void keep(Program& program, const ProcessState& state);

  std::unordered_map<std::uint32_t, Programs> pids_;
};

}  // namespace ember

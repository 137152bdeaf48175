// The command of `ember record -- COMMAND`: forked at once, held before its
// exec until the sampler runs (so its first instructions are profiled), run
// as the user who invoked sudo, reaped for its exit status.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "ember/status.hpp"

namespace ember::cli {

class LaunchedCommand {
 public:
  LaunchedCommand() = default;
  LaunchedCommand(const LaunchedCommand&) = delete;
  LaunchedCommand& operator=(const LaunchedCommand&) = delete;
  ~LaunchedCommand();  // reaps it; one never released exits without running

  // `stdout_to_stderr`: when ember's stdout carries the profile.
  Status start(const std::vector<std::string>& argv, bool stdout_to_stderr);
  pid_t pid() const { return pid_; }
  // Lets it exec; an exec that fails is an error naming the program.
  Status release();
  // Waits for it; its exit code as a shell gives it (128 + signal).
  int wait();

 private:
  pid_t pid_ = -1;
  int go_fd_ = -1;      // written to release it
  int failed_fd_ = -1;  // closed by a successful exec, else the errno
  std::string program_;
  bool reaped_ = false;
};

}  // namespace ember::cli

// Ends a recording of given processes once all of them have exited, instead
// of recording nothing until --duration.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "ember/status.hpp"

namespace ember::cli {

class ExitWatch {
 public:
  ExitWatch() = default;
  ExitWatch(const ExitWatch&) = delete;
  ExitWatch& operator=(const ExitWatch&) = delete;
  ~ExitWatch();

  // Sets `stop` when every one of `pids` has exited. A pid with no process
  // is an error.
  Status start(const std::vector<std::uint32_t>& pids, std::atomic<bool>& stop);

 private:
  void watch(std::atomic<bool>& stop);

  std::vector<int> pidfds_;
  int wake_fd_ = -1;  // an eventfd: the destructor ends the watch
  std::thread thread_;
};

}  // namespace ember::cli

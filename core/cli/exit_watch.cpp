#include "exit_watch.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "logging.hpp"

namespace ember::cli {

ExitWatch::~ExitWatch() {
  if (thread_.joinable()) {
    std::uint64_t one = 1;
    (void)!write(wake_fd_, &one, sizeof(one));
    thread_.join();
  }
  for (int fd : pidfds_) close(fd);
  if (wake_fd_ >= 0) close(wake_fd_);
}

Status ExitWatch::start(const std::vector<std::uint32_t>& pids, std::atomic<bool>& stop) {
  for (std::uint32_t pid : pids) {
    int fd = static_cast<int>(syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0));
    if (fd < 0) {
      if (errno == ESRCH) return Status::error("no process has pid " + std::to_string(pid));
      return Status::error("cannot watch pid " + std::to_string(pid) + ": " +
                           std::strerror(errno));
    }
    pidfds_.push_back(fd);
  }
  wake_fd_ = eventfd(0, EFD_CLOEXEC);
  if (wake_fd_ < 0) return Status::error(std::string("eventfd: ") + std::strerror(errno));
  thread_ = std::thread([this, &stop] { watch(stop); });
  return Status::ok();
}

// A pidfd polls readable once its process has exited.
void ExitWatch::watch(std::atomic<bool>& stop) {
  std::vector<pollfd> fds;
  fds.push_back({wake_fd_, POLLIN, 0});
  for (int fd : pidfds_) fds.push_back({fd, POLLIN, 0});
  std::size_t running = pidfds_.size();
  while (running > 0) {
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[0].revents) return;
    for (std::size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].fd >= 0 && fds[i].revents) {
        fds[i].fd = -1;  // poll skips it from now on
        --running;
      }
    }
  }
  component_logger("record")->info("every profiled process has exited: stopping");
  stop.store(true);
}

}  // namespace ember::cli

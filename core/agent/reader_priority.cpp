#include "reader_priority.hpp"

#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "logging.hpp"

namespace ember {
namespace {

constexpr int kHighNice = -10;

Status failed(const std::string& what) {
  return Status::error("cannot give the reader thread " + what + ": " + std::strerror(errno) +
                       " (needs root or CAP_SYS_NICE; set [agent] priority = \"normal\" to not "
                       "ask)");
}

}  // namespace

Status set_reader_priority(const std::string& priority) {
  const pid_t thread = static_cast<pid_t>(::syscall(SYS_gettid));
  sched_param param{};
  if (priority == "realtime") {
    param.sched_priority = 1;
    if (::sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &param) != 0) {
      return failed("real-time priority (SCHED_FIFO 1)");
    }
    return Status::ok();
  }
  // SCHED_OTHER, and a nice value of its own (nice is per thread on Linux).
  if (::sched_setscheduler(0, SCHED_OTHER | SCHED_RESET_ON_FORK, &param) != 0) {
    return failed("normal scheduling");
  }
  const int nice = priority == "high" ? kHighNice : 0;
  if (::setpriority(PRIO_PROCESS, static_cast<id_t>(thread), nice) != 0) {
    return failed("nice " + std::to_string(nice));
  }
  return Status::ok();
}

void set_helper_priority(pid_t thread, const std::string& priority) {
  const int nice = priority == "normal" ? 0 : kHighNice;
  (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(thread), nice);
}

void apply_reader_priority(const std::string& priority) {
  auto logger = component_logger("agent");
  if (Status set = set_reader_priority(priority); !set) {
    logger->warn("{}", set.message());
    return;
  }
  logger->info("reader thread priority: {}", priority == "realtime" ? "real-time (SCHED_FIFO 1)"
                                             : priority == "high"   ? "high (nice -10)"
                                                                    : "normal");
}

}  // namespace ember

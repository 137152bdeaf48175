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
// Real-time, the ring's reader runs one level above the worker: woken, it
// takes the CPU from the worker at once (same-level SCHED_FIFO threads wait
// for each other to block), so no attach, probe or naming keeps it waiting.
constexpr int kWorkerFifo = 1;
constexpr int kRingReaderFifo = 2;

Status failed(const std::string& what) {
  return Status::error("cannot give the reader thread " + what + ": " + std::strerror(errno) +
                       " (needs root or CAP_SYS_NICE; set [agent] priority = \"normal\" to not "
                       "ask)");
}

// `fifo`: the SCHED_FIFO priority "realtime" stands for on this thread.
Status set_priority(const std::string& priority, int fifo) {
  const pid_t thread = static_cast<pid_t>(::syscall(SYS_gettid));
  sched_param param{};
  if (priority == "realtime") {
    param.sched_priority = fifo;
    if (::sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &param) != 0) {
      return failed("real-time priority (SCHED_FIFO " + std::to_string(fifo) + ")");
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

}  // namespace

Status set_reader_priority(const std::string& priority) {
  return set_priority(priority, kWorkerFifo);
}

Status set_ring_reader_priority(const std::string& priority) {
  return set_priority(priority, kRingReaderFifo);
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
  logger->info("reader thread priority: {}", priority == "realtime"
                                                 ? "real-time (SCHED_FIFO 1; the ring's reader 2)"
                                             : priority == "high"   ? "high (nice -10)"
                                                                    : "normal");
}

}  // namespace ember

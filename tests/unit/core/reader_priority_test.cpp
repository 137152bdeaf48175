#include "agent/reader_priority.hpp"

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>

namespace ember {
namespace {

struct ThreadScheduling {
  int policy = -1;
  int nice = 0;
};

ThreadScheduling of_this_thread() {
  ThreadScheduling out;
  out.policy = ::sched_getscheduler(0) & ~SCHED_RESET_ON_FORK;
  out.nice = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)));
  return out;
}

// Each case on a thread of its own, so the test process keeps its scheduling.
template <typename Body>
void on_a_thread(Body body) {
  std::thread thread(body);
  thread.join();
}

bool can_raise_priority() { return ::geteuid() == 0; }

TEST(ReaderPriority, RealtimeAndHighApplyToTheThreadNotToThreadsItStarts) {
  if (!can_raise_priority()) {
    if (std::getenv("CI")) FAIL() << "needs root (CAP_SYS_NICE)";
    GTEST_SKIP() << "needs root (CAP_SYS_NICE); CI runs it as root";
  }
  on_a_thread([] {
    Status set = set_reader_priority("realtime");
    ASSERT_TRUE(set) << set.message();
    EXPECT_EQ(of_this_thread().policy, SCHED_FIFO);
    ThreadScheduling child;
    std::thread([&] { child = of_this_thread(); }).join();
    EXPECT_EQ(child.policy, SCHED_OTHER);
    EXPECT_EQ(child.nice, 0);
  });
  on_a_thread([] {
    Status set = set_reader_priority("high");
    ASSERT_TRUE(set) << set.message();
    EXPECT_EQ(of_this_thread().policy, SCHED_OTHER);
    EXPECT_EQ(of_this_thread().nice, -10);
    ThreadScheduling child;
    std::thread([&] { child = of_this_thread(); }).join();
    EXPECT_EQ(child.nice, 0);
    ASSERT_TRUE(set_reader_priority("normal"));
    EXPECT_EQ(of_this_thread().nice, 0);
  });
}

int fifo_level_of_this_thread() {
  sched_param param{};
  return ::sched_getparam(0, &param) == 0 ? param.sched_priority : -1;
}

// The first CPU this process may run on.
int a_cpu() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof(set), &set) != 0) return 0;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) return cpu;
  }
  return 0;
}

void on_cpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  ASSERT_EQ(::sched_setaffinity(0, sizeof(set), &set), 0);
}

TEST(ReaderPriority, TheRingReaderRunsAboveTheWorker) {
  if (!can_raise_priority()) {
    if (std::getenv("CI")) FAIL() << "needs root (CAP_SYS_NICE)";
    GTEST_SKIP() << "needs root (CAP_SYS_NICE); CI runs it as root";
  }
  int worker = 0;
  int reader = 0;
  on_a_thread([&] {
    ASSERT_TRUE(set_reader_priority("realtime"));
    worker = fifo_level_of_this_thread();
  });
  on_a_thread([&] {
    ASSERT_TRUE(set_ring_reader_priority("realtime"));
    EXPECT_EQ(of_this_thread().policy, SCHED_FIFO);
    reader = fifo_level_of_this_thread();
  });
  EXPECT_GT(reader, worker);
  on_a_thread([] {
    ASSERT_TRUE(set_ring_reader_priority("high"));
    EXPECT_EQ(of_this_thread().policy, SCHED_OTHER);
    EXPECT_EQ(of_this_thread().nice, -10);
  });
}

// What the levels are for: on one CPU, a worker that never blocks (reading a
// large binary) does not keep the ring's reader from waking and reading. At
// one SCHED_FIFO level the reader would wait for the worker to block.
TEST(ReaderPriority, ABusyWorkerDoesNotKeepTheRingReaderWaiting) {
  if (!can_raise_priority()) {
    if (std::getenv("CI")) FAIL() << "needs root (CAP_SYS_NICE)";
    GTEST_SKIP() << "needs root (CAP_SYS_NICE); CI runs it as root";
  }
  std::atomic<bool> reader_ready{false};
  std::atomic<bool> worker_busy{false};
  std::atomic<bool> worker_done{false};
  std::atomic<int> reads_while_busy{0};
  const int cpu = a_cpu();
  std::thread reader([&] {
    on_cpu(cpu);
    Status set = set_ring_reader_priority("realtime");
    reader_ready = true;  // (the worker does not wait for a reader that failed)
    ASSERT_TRUE(set) << set.message();
    while (!worker_done) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // the ring's poll
      if (worker_busy && !worker_done) ++reads_while_busy;
    }
  });
  std::thread worker([&] {
    on_cpu(cpu);
    ASSERT_TRUE(set_reader_priority("realtime"));
    while (!reader_ready) std::this_thread::yield();
    worker_busy = true;
    // Busy without blocking for 100 ms (well within the kernel's real-time
    // throttle), or until the reader got in a few times.
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
    while (std::chrono::steady_clock::now() < until && reads_while_busy < 3) {
    }
    worker_done = true;
  });
  worker.join();
  reader.join();
  EXPECT_GT(reads_while_busy.load(), 0)
      << "the ring's reader did not run while the worker was busy on its CPU";
}

}  // namespace
}  // namespace ember

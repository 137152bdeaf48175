#include "agent/reader_priority.hpp"

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

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

}  // namespace
}  // namespace ember

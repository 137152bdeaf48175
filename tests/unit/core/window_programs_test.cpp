// A pid's programs within one window kept apart (WindowPrograms): a shell's
// child before and after its exec, a program that left the table.
#include "agent/window_programs.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include "aggregate/aggregator.hpp"

namespace ember {
namespace {

// Near the largest pid_max (2^22): no /proc entry here, the table's reads leave names empty.
constexpr std::uint32_t kChild = 4194000;
constexpr std::uint32_t kOther = 4194001;

std::vector<FrameHandle> stack_of(const std::string& leaf) {
  return {std::make_shared<const Frame>(Frame{"main", "mod", "", 0, frame_kind::native, false}),
          std::make_shared<const Frame>(Frame{leaf, "mod", "", 0, frame_kind::native, false})};
}

std::uint64_t samples_of(const Window& window, std::uint32_t pid, std::uint32_t instance) {
  std::uint64_t n = 0;
  for (const StackCount& s : window.samples) {
    if (s.pid == pid && s.instance == instance) n += s.count;
  }
  return n;
}

struct Sampled {
  ProcessTable table;
  WindowPrograms programs;
  Aggregator aggregator;

  void sample(const ProcessState& program, const std::string& leaf, const char* thread, int times) {
    const std::uint32_t pid = program.info.pid;
    for (int i = 0; i < times; ++i) {
      const std::uint32_t key = programs.key_of(program);
      aggregator.add(key, pid, stack_of(leaf));
      aggregator.name_thread(key, pid, thread);
    }
  }
  ProcessState& exec(std::uint32_t pid, const std::string& comm) {
    if (const ProcessState* leaving = table.find(pid)) programs.leaving(*leaving);
    ProcessState& program = table.replace(pid);
    program.info.comm = comm;
    return program;
  }
  Window close() {
    Window window = aggregator.take(0, 1);
    programs.fill(window, table);
    return window;
  }
};

TEST(WindowPrograms, AShellsChildBeforeAndAfterItsExecAreTwoProcesses) {
  Sampled host;
  bool is_new = false;
  ProcessState& shell = host.table.get(static_cast<std::uint32_t>(getpid()), is_new);
  ASSERT_FALSE(shell.info.comm.empty());
  host.sample(host.table.fork(kChild, shell), "fork", "sh", 3);
  // A sample captured before the exec and named after it keeps its entry.
  std::shared_ptr<ProcessState> before = host.table.share(kChild);
  ProcessState& tool = host.exec(kChild, "tool");
  host.sample(*before, "fork", "sh", 1);
  host.sample(tool, "work", "tool", 5);

  Window window = host.close();
  ASSERT_EQ(window.processes.size(), 2u) << "the shell itself had no sample";
  // The older program first, instance 1; the newest last, instance 0.
  EXPECT_EQ(window.processes[0].pid, kChild);
  EXPECT_EQ(window.processes[0].comm, shell.info.comm);
  EXPECT_EQ(window.processes[0].instance, 1u);
  EXPECT_EQ(window.processes[1].pid, kChild);
  EXPECT_EQ(window.processes[1].comm, "tool");
  EXPECT_EQ(window.processes[1].instance, 0u);
  EXPECT_EQ(samples_of(window, kChild, 1), 4u);
  EXPECT_EQ(samples_of(window, kChild, 0), 5u);
  ASSERT_EQ(window.threads.size(), 1u) << "a thread is one per (pid, tid)";
  EXPECT_EQ(window.threads[0].pid, kChild);
  EXPECT_EQ(window.threads[0].name, "tool");

  // The next window starts with the pid's program as it is now.
  host.sample(tool, "work", "tool", 2);
  Window next = host.close();
  ASSERT_EQ(next.processes.size(), 1u);
  EXPECT_EQ(next.processes[0].comm, "tool");
  EXPECT_EQ(next.processes[0].instance, 0u);
  EXPECT_EQ(samples_of(next, kChild, 0), 2u);
}

TEST(WindowPrograms, AProgramThatLeftAfterItsSamplesKeepsItsName) {
  Sampled host;
  host.sample(host.exec(kOther, "python3"), "run", "python3", 2);
  host.exec(kOther, "true");  // no sample of it in the window
  Window window = host.close();
  ASSERT_EQ(window.processes.size(), 1u);
  EXPECT_EQ(window.processes[0].comm, "python3") << "not the program the pid runs now";
  EXPECT_EQ(window.processes[0].instance, 0u);
  EXPECT_EQ(samples_of(window, kOther, 0), 2u);
  ASSERT_EQ(window.threads.size(), 1u);
  EXPECT_EQ(window.threads[0].pid, kOther);
}

TEST(WindowPrograms, ASampleNamedAfterItsProgramWasRemovedKeepsItsName) {
  Sampled host;
  ProcessState& gone = host.exec(kOther, "xz");
  std::shared_ptr<ProcessState> held = host.table.share(kOther);  // as a pending sample holds it
  gone.exited = true;
  ASSERT_EQ(host.table.remove_exited_and_idle(0), std::vector<std::uint32_t>{kOther});
  host.sample(*held, "compress", "xz", 3);
  Window window = host.close();
  ASSERT_EQ(window.processes.size(), 1u) << "the table no longer has it";
  EXPECT_EQ(window.processes[0].comm, "xz");
  EXPECT_EQ(samples_of(window, kOther, 0), 3u);
}

// The agent takes exited processes out of the table a second after their
// exit, before the window closes.
TEST(WindowPrograms, AProcessRemovedAfterItsExitIsStillListed) {
  Sampled host;
  host.sample(host.exec(kOther, "cc1"), "parse", "cc1", 4);
  host.table.mark_exited(kOther, 1000);
  host.exec(kChild, "true");  // exited too, never sampled
  host.table.mark_exited(kChild, 1000);
  std::vector<std::shared_ptr<ProcessState>> gone = host.table.remove_exited(2000);
  ASSERT_EQ(gone.size(), 2u);
  for (const auto& program : gone) host.programs.leaving(*program);
  gone.clear();
  Window window = host.close();
  ASSERT_EQ(window.processes.size(), 1u) << "only the one with samples";
  EXPECT_EQ(window.processes[0].pid, kOther);
  EXPECT_EQ(window.processes[0].comm, "cc1");
  EXPECT_EQ(window.processes[0].exit_time_ns, 1000);
  EXPECT_EQ(samples_of(window, kOther, 0), 4u);
}

}  // namespace
}  // namespace ember

#include "process/process_table.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

namespace ember {
namespace {

struct CountedHandler : ProcessHandler {
  explicit CountedHandler(int& destroyed) : destroyed(destroyed) {}
  ~CountedHandler() override { ++destroyed; }
  int& destroyed;
};

TEST(ProcessTable, ExitedProcessesLeaveTheTableWithTheirHandlers) {
  ProcessTable table;
  bool is_new = false;
  const auto pid = static_cast<std::uint32_t>(getpid());
  ProcessState& process = table.get(pid, is_new);
  ASSERT_TRUE(is_new);
  int destroyed = 0;
  process.handlers.push_back(std::make_unique<CountedHandler>(destroyed));
  process.native = process.handlers.back().get();
  ASSERT_FALSE(process.mappings.empty()) << "this process' maps were read";
  std::string comm = process.info.comm;

  EXPECT_TRUE(table.remove_exited(2000).empty()) << "still running";
  table.mark_exited(pid, 1000);
  EXPECT_TRUE(table.remove_exited(1000).empty()) << "exited too recently";
  EXPECT_NE(table.find(pid), nullptr);

  std::vector<std::shared_ptr<ProcessState>> gone = table.remove_exited(2000);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(table.find(pid), nullptr);
  EXPECT_TRUE(gone[0]->left_table);
  EXPECT_EQ(gone[0]->info.comm, comm) << "for the window's process list";
  EXPECT_EQ(gone[0]->info.exit_time_ns, 1000);
  EXPECT_EQ(destroyed, 0) << "a holder still has it";
  gone.clear();
  EXPECT_EQ(destroyed, 1);
  EXPECT_TRUE(table.remove_exited(2000).empty()) << "removed once";
}

// The exiting task runs on after its exit record (the rest of do_exit): a
// sample taken then comes after the record, and may be the process' first.
TEST(ProcessTable, AnEntryMadeAfterTheExitRecordIsExited) {
  ProcessTable table;
  const auto pid = static_cast<std::uint32_t>(getpid());
  bool is_new = false;
  table.mark_exited(pid, 1000);  // no entry yet: never sampled before
  ProcessState& late = table.get(pid, is_new);
  ASSERT_TRUE(is_new);
  EXPECT_TRUE(late.exited);
  EXPECT_EQ(late.info.exit_time_ns, 1000);
  EXPECT_EQ(table.remove_exited_and_idle(0), std::vector<std::uint32_t>{pid})
      << "forgotten at the close after its sample";

  // Another sample from the exit path, after that close.
  EXPECT_TRUE(table.get(pid, is_new).exited);
  EXPECT_EQ(table.remove_exited_and_idle(0).size(), 1u);

  // An exec or fork record: the pid is a new process.
  table.started(pid);
  EXPECT_FALSE(table.get(pid, is_new).exited);
  EXPECT_TRUE(table.remove_exited_and_idle(0).empty());
}

TEST(ProcessTable, ExitsAreForgottenOnceNoSampleCanMeetThem) {
  ProcessTable table;
  const auto pid = static_cast<std::uint32_t>(getpid());
  bool is_new = false;
  table.mark_exited(pid, 1000);
  table.forget_exits_before(1000);
  EXPECT_TRUE(table.get(pid, is_new).exited) << "exited at 1000: not before it";
  table.remove_exited_and_idle(0);
  table.forget_exits_before(1001);
  EXPECT_FALSE(table.get(pid, is_new).exited);
}

}  // namespace
}  // namespace ember

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

TEST(ProcessTable, ExitedProcessesLoseTheirHandlersButKeepTheirInfo) {
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

  EXPECT_EQ(table.release_exited_handlers(2000), 0u) << "still running";
  table.mark_exited(pid, 1000);
  EXPECT_EQ(table.release_exited_handlers(1000), 0u) << "exited too recently";
  EXPECT_EQ(destroyed, 0);

  EXPECT_EQ(table.release_exited_handlers(2000), 1u);
  EXPECT_EQ(destroyed, 1);
  ProcessState* kept = table.find(pid);
  ASSERT_NE(kept, nullptr) << "the window still lists it";
  EXPECT_EQ(kept->native, nullptr);
  EXPECT_TRUE(kept->mappings.empty());
  EXPECT_EQ(kept->info.comm, comm);
  EXPECT_EQ(kept->info.exit_time_ns, 1000);
  EXPECT_EQ(table.release_exited_handlers(2000), 0u) << "released once";
}

}  // namespace
}  // namespace ember

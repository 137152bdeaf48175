// has_address_space() on real processes: this one, a child that has exited
// but is not yet reaped (a zombie: /proc/PID exists, its maps are empty),
// and one reaped.
#include "address_space.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

namespace ember::cpython {
namespace {

TEST(AddressSpace, ALiveProcessHasOneAnExitedOneNone) {
  EXPECT_TRUE(has_address_space(static_cast<std::uint32_t>(::getpid())));
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) ::_exit(0);
  siginfo_t info{};
  // Waits for the exit without reaping it.
  ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOWAIT), 0);
  EXPECT_FALSE(has_address_space(static_cast<std::uint32_t>(child)));
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);
  EXPECT_FALSE(has_address_space(static_cast<std::uint32_t>(child)));
}

}  // namespace
}  // namespace ember::cpython

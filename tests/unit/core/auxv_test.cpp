#include "process/auxv.hpp"

#include <elf.h>
#include <gtest/gtest.h>
#include <sys/auxv.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace ember {
namespace {

std::string auxv_bytes(const std::vector<std::uint64_t>& words) {
  return std::string(reinterpret_cast<const char*>(words.data()), words.size() * 8);
}

TEST(Auxv, FindsAnEntryBeforeTheEnd) {
  std::string auxv = auxv_bytes({AT_PAGESZ, 4096, AT_BASE, 0x7f0000001000, AT_NULL, 0});
  EXPECT_EQ(auxv_value(auxv, AT_BASE), 0x7f0000001000u);
  EXPECT_EQ(auxv_value(auxv, AT_PAGESZ), 4096u);
}

TEST(Auxv, StopsAtTheEndAndIgnoresATruncatedPair) {
  std::string auxv = auxv_bytes({AT_PAGESZ, 4096, AT_NULL, 0, AT_BASE, 1});
  EXPECT_EQ(auxv_value(auxv, AT_BASE), std::nullopt);  // after AT_NULL
  std::string truncated = auxv_bytes({AT_PAGESZ, 4096, AT_BASE, 5}).substr(0, 28);
  EXPECT_EQ(auxv_value(truncated, AT_BASE), std::nullopt);
  EXPECT_EQ(auxv_value(truncated, AT_PAGESZ), 4096u);
  EXPECT_EQ(auxv_value("", AT_BASE), std::nullopt);
}

// This test binary is dynamically linked: the kernel's AT_BASE for it is
// where it mapped ld.so, as the C library reports it.
TEST(Auxv, LoaderBaseOfThisProcessIsTheOneTheLibcSees) {
  auto base = loader_base(static_cast<std::uint32_t>(getpid()));
  ASSERT_TRUE(base.has_value());
  EXPECT_EQ(*base, getauxval(AT_BASE));
  EXPECT_NE(*base, 0u);
}

TEST(Auxv, LoaderBaseOfAMissingProcessIsUnknown) {
  EXPECT_EQ(loader_base(0), std::nullopt);  // /proc/0 does not exist
}

}  // namespace
}  // namespace ember

#include "demangle.hpp"

#include <gtest/gtest.h>

namespace ember::native {
namespace {

TEST(Demangle, ItaniumNamesBecomeReadable) {
  EXPECT_EQ(demangle("_ZN13ember_fixture5OuterIiE7computeEi"), "ember_fixture::Outer<int>::compute(int)");
  EXPECT_EQ(demangle("_ZNSt6vectorIiSaIiEE9push_backERKi"),
            "std::vector<int, std::allocator<int> >::push_back(int const&)");
}

TEST(Demangle, OtherNamesPassThrough) {
  EXPECT_EQ(demangle("main"), "main");
  EXPECT_EQ(demangle("_Zgarbage"), "_Zgarbage");
  EXPECT_EQ(demangle(""), "");
  EXPECT_EQ(demangle("_RNvCs1234_7mycrate3foo"), "_RNvCs1234_7mycrate3foo");
}

}  // namespace
}  // namespace ember::native

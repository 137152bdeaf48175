#include "demangle.hpp"

#include <gtest/gtest.h>

namespace ember::native {
namespace {

TEST(Demangle, ItaniumNamesBecomeReadable) {
  EXPECT_EQ(demangle("_ZN13ember_fixture5OuterIiE7computeEi"),
            "ember_fixture::Outer<int>::compute(int)");
  EXPECT_EQ(demangle("_ZNSt6vectorIiSaIiEE9push_backERKi"),
            "std::vector<int, std::allocator<int> >::push_back(int const&)");
  EXPECT_EQ(demangle("_ZN2ns1fEv"), "ns::f()") << "_ZN...E without a Rust hash is C++";
}

// Names as rustc writes them (the legacy scheme: Itanium-like with a 17h<hash>
// last element and $..$ escapes; v0: _R...), by the manglings' rules.
TEST(Demangle, RustLegacyNamesLoseTheirHash) {
  EXPECT_EQ(demangle("_ZN8rust_hot4work5churn17hf162f046346fc669E"), "rust_hot::work::churn");
  EXPECT_EQ(demangle("_ZN4core3ptr13drop_in_place17h1234567890abcdefE"),
            "core::ptr::drop_in_place");
  EXPECT_EQ(demangle("_ZN70_$LT$alloc..vec..Vec$LT$T$C$A$GT$$u20$as$u20$core..ops..drop..Drop$GT$"
                     "4drop17h0123456789abcdefE"),
            "<alloc::vec::Vec<T,A> as core::ops::drop::Drop>::drop");
}

TEST(Demangle, RustV0Names) {
  EXPECT_EQ(demangle("_RNvNtCsj2hr6UGbNCM_8rust_hot4work5churn"), "rust_hot::work::churn");
  EXPECT_EQ(demangle("_RNvCs1234_7mycrate3foo"), "mycrate::foo");
}

TEST(Demangle, OtherNamesPassThrough) {
  EXPECT_EQ(demangle("main"), "main");
  EXPECT_EQ(demangle("_Zgarbage"), "_Zgarbage");
  EXPECT_EQ(demangle("_Rgarbage"), "_Rgarbage");
  EXPECT_EQ(demangle(""), "");
}

}  // namespace
}  // namespace ember::native

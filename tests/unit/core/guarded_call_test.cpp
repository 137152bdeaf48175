#include "plugin_host/guarded_call.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace ember {
namespace {

TEST(GuardedCall, PassesStatusThrough) {
  EXPECT_TRUE(guarded_call("x", [] { return Status::ok(); }));
  Status failed = guarded_call("x", [] { return Status::error("bad"); });
  EXPECT_EQ(failed.message(), "bad");
}

TEST(GuardedCall, ExceptionsBecomeErrorsNamingTheCall) {
  Status thrown = guarded_call("on_window", []() -> Status { throw std::runtime_error("boom"); });
  ASSERT_FALSE(thrown);
  EXPECT_EQ(thrown.message(), "on_window threw: boom");
  Status unknown = guarded_call("attach", [] { throw 42; });
  EXPECT_EQ(unknown.message(), "attach threw an unknown exception");
}

}  // namespace
}  // namespace ember

// LazyBpfProgram, the runtime plugins' BPF object loaded at first need: a
// load that fails is tried once and logged once, however many processes ask.
#include "lazy_bpf_program.hpp"

#include <gtest/gtest.h>

#include "ember/testing/fake_host.hpp"
#include "node.skel.h"

namespace ember {
namespace {

TEST(LazyBpfProgram, AFailedLoadIsTriedAndLoggedOnce) {
  testkit::FakeHost host;  // no sampler: its maps cannot be shared
  LazyBpfProgram<node_bpf> program([](node_bpf* skeleton) { return skeleton->progs.node_walk; },
                                   "the test's program", "nothing is walked");
  EXPECT_FALSE(program.ready(host));
  EXPECT_FALSE(program.ready(host));
  const Status& status = program.load(host);
  ASSERT_FALSE(status);
  EXPECT_NE(status.message().find("cannot share the sampler's map"), std::string::npos)
      << status.message();
  EXPECT_EQ(program.skeleton(), nullptr);
  EXPECT_EQ(host.count(LogLevel::warn, "the test's program did not load"), 1u);
  EXPECT_EQ(host.count(LogLevel::warn, "; nothing is walked"), 1u);
}

}  // namespace
}  // namespace ember

#include "agent/unwind_rules.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <stdexcept>

namespace ember {
namespace {

// Claims [start, end): JIT code whose frames are `cfa_offset` bytes above sp.
class JitHandler final : public ProcessHandler {
 public:
  JitHandler(std::uint64_t start, std::uint64_t end, std::int32_t cfa_offset, bool throws = false)
      : start_(start), end_(end), cfa_offset_(cfa_offset), throws_(throws) {}
  void code_ranges(std::vector<CodeRange>& ranges) const override {
    ranges.push_back({start_, end_});
  }
  bool unwind_rule(std::uint64_t, UnwindRule& rule) const override {
    if (throws_) throw std::runtime_error("a broken plugin");
    rule.cfa_offset = cfa_offset_;
    return true;
  }

 private:
  std::uint64_t start_, end_;
  std::int32_t cfa_offset_;
  bool throws_;
};

// The native handler is the one asking: never asked itself.
class NativeHandler final : public ProcessHandler {
 public:
  bool unwind_rule(std::uint64_t, UnwindRule&) const override {
    ADD_FAILURE() << "the native handler was asked for a rule";
    return true;
  }
};

TEST(UnwindRules, TheHandlerClaimingTheCodeAnswers) {
  ProcessTable table;
  bool is_new = false;
  auto pid = static_cast<std::uint32_t>(getpid());
  ProcessState& process = table.get(pid, is_new);
  process.handlers.push_back(std::make_unique<NativeHandler>());
  process.native = process.handlers.back().get();
  // A code cache, and a narrower range inside it claimed by another plugin
  // (which wins there, as for naming), whose rule throws.
  process.handlers.push_back(std::make_unique<JitHandler>(0x1000, 0x3000, 32));
  process.handlers.push_back(std::make_unique<JitHandler>(0x2000, 0x2100, 48, true));
  process.code_claims.collect(process.handlers);

  UnwindRule rule;
  EXPECT_TRUE(unwind_rule_of(table, pid, 0x1800, rule));
  EXPECT_EQ(rule.cfa_offset, 32);
  EXPECT_FALSE(unwind_rule_of(table, pid, 0x2010, rule)) << "its owner threw";
  EXPECT_FALSE(unwind_rule_of(table, pid, 0x3000, rule)) << "code nobody claims";
  EXPECT_FALSE(unwind_rule_of(table, 0x7ffffff0, 0x1800, rule)) << "an unknown process";
}

}  // namespace
}  // namespace ember

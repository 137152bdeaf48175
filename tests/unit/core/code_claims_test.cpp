// Which handler names which address: claims resolved to one owner each.
#include "process/code_claims.hpp"

#include <gtest/gtest.h>

namespace ember {
namespace {

class Claimer final : public ProcessHandler {
 public:
  explicit Claimer(std::vector<CodeRange> ranges) : ranges_(std::move(ranges)) {}
  void code_ranges(std::vector<CodeRange>& out) const override {
    out.insert(out.end(), ranges_.begin(), ranges_.end());
  }
  std::vector<CodeRange> ranges_;
};

ProcessHandler* owner_at(const CodeClaims& claims, std::uint64_t pc) {
  const CodeClaims::Segment* segment = claims.find(pc);
  return segment ? claims.owners()[segment->owner] : nullptr;
}

std::vector<std::unique_ptr<ProcessHandler>> handlers(std::vector<std::vector<CodeRange>> each) {
  std::vector<std::unique_ptr<ProcessHandler>> out;
  for (auto& ranges : each) out.push_back(std::make_unique<Claimer>(std::move(ranges)));
  return out;
}

TEST(CodeClaims, NoRangesClaimNothing) {
  auto attached = handlers({{}, {}});
  CodeClaims claims;
  claims.collect(attached);
  EXPECT_TRUE(claims.empty());
  EXPECT_EQ(claims.find(0x1000), nullptr);
}

TEST(CodeClaims, AnAddressBelongsToTheRangeHoldingIt) {
  auto attached = handlers({{{0x1000, 0x2000}}, {{0x3000, 0x4000}, {0x5000, 0x5100}}});
  CodeClaims claims;
  claims.collect(attached);
  EXPECT_EQ(owner_at(claims, 0x0fff), nullptr);
  EXPECT_EQ(owner_at(claims, 0x1000), attached[0].get());
  EXPECT_EQ(owner_at(claims, 0x1fff), attached[0].get());
  EXPECT_EQ(owner_at(claims, 0x2000), nullptr) << "the end is exclusive";
  EXPECT_EQ(owner_at(claims, 0x3800), attached[1].get());
  EXPECT_EQ(owner_at(claims, 0x50ff), attached[1].get());
  EXPECT_EQ(owner_at(claims, 0x4800), nullptr);
}

TEST(CodeClaims, TheNarrowestOverlappingRangeWins) {
  // A JIT's whole code cache, and a perf-map plugin's entry inside it.
  auto attached = handlers({{{0x10000, 0x20000}}, {{0x14000, 0x14100}}});
  CodeClaims claims;
  claims.collect(attached);
  EXPECT_EQ(owner_at(claims, 0x13fff), attached[0].get());
  EXPECT_EQ(owner_at(claims, 0x14000), attached[1].get());
  EXPECT_EQ(owner_at(claims, 0x140ff), attached[1].get());
  EXPECT_EQ(owner_at(claims, 0x14100), attached[0].get()) << "the wide claim resumes after it";

  // Attach order does not change that: the narrow claim first.
  auto reversed = handlers({{{0x14000, 0x14100}}, {{0x10000, 0x20000}}});
  claims.collect(reversed);
  EXPECT_EQ(owner_at(claims, 0x14050), reversed[0].get());
  EXPECT_EQ(owner_at(claims, 0x15000), reversed[1].get());
}

TEST(CodeClaims, SameRangeGoesToTheHandlerAttachedLast) {
  auto attached = handlers({{{0x1000, 0x2000}}, {{0x1000, 0x2000}}});
  CodeClaims claims;
  claims.collect(attached);
  EXPECT_EQ(owner_at(claims, 0x1800), attached[1].get());
  EXPECT_EQ(claims.owners().size(), 1u) << "the loser owns nothing";
}

TEST(CodeClaims, CollectAsksAgainAndForgetsOldRanges) {
  auto attached = handlers({{{0x1000, 0x2000}}});
  CodeClaims claims;
  claims.collect(attached);
  static_cast<Claimer&>(*attached[0]).ranges_ = {{0x8000, 0x9000}};
  claims.collect(attached);
  EXPECT_EQ(owner_at(claims, 0x1800), nullptr);
  EXPECT_EQ(owner_at(claims, 0x8800), attached[0].get());
  EXPECT_EQ(claims.segments().size(), 1u);
}

TEST(CodeClaims, EmptyAndInvertedRangesAreIgnored) {
  auto attached = handlers({{{0x2000, 0x2000}, {0x3000, 0x1000}}});
  CodeClaims claims;
  claims.collect(attached);
  EXPECT_TRUE(claims.empty());
}

}  // namespace
}  // namespace ember

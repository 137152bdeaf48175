#include "source_chains.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace ember::native {
namespace {

using Site = SourceChains::Site;

// mix_inlined at its line, inlined into outer_work at the call's line.
std::vector<Site> inlined_call(SourceChains& chains, std::uint32_t leaf_line) {
  return {{chains.name_id("mix_inlined"), chains.file_id("/src/hot.c"), leaf_line, true},
          {chains.name_id("outer_work"), chains.file_id("/src/hot.c"), 40, false}};
}

TEST(SourceChains, EqualSitesAreOneChainAndItsFramesSayWhatTheSitesSay) {
  SourceChains chains;
  std::uint32_t first = chains.add(inlined_call(chains, 12));
  EXPECT_EQ(chains.add(inlined_call(chains, 12)), first);
  std::uint32_t other = chains.add(inlined_call(chains, 13));
  EXPECT_NE(other, first);
  EXPECT_EQ(chains.size(), 2u);

  ChainHandle chain = chains.frames(first, "hot");
  ASSERT_EQ(chain->size(), 2u);
  const Frame& leaf = *chain->front();
  EXPECT_EQ(leaf.name, "mix_inlined");
  EXPECT_EQ(leaf.module, "hot");
  EXPECT_EQ(leaf.file, "/src/hot.c");
  EXPECT_EQ(leaf.line, 12u);
  EXPECT_TRUE(leaf.inlined);
  EXPECT_EQ(leaf.kind, frame_kind::native);
  EXPECT_EQ(chain->back()->name, "outer_work");
  EXPECT_FALSE(chain->back()->inlined);
  // The caller's frame is one frame in both chains.
  EXPECT_EQ(chains.frames(other, "hot")->back().get(), chain->back().get());
}

// The table keeps no frame alive: a chain nobody holds is freed, and made
// again, equal, from the ids when asked for.
TEST(SourceChains, FramesLiveOnlyWhileSomeoneHoldsThem) {
  SourceChains chains;
  std::uint32_t id = chains.add(inlined_call(chains, 12));
  ChainHandle held = chains.frames(id, "hot");
  EXPECT_EQ(chains.frames(id, "hot").get(), held.get()) << "a held chain is handed out again";

  std::weak_ptr<const FrameChain> chain = held;
  std::weak_ptr<const Frame> frame = held->front();
  std::vector<Frame> contents;
  for (const FrameHandle& handle : *held) contents.push_back(*handle);
  held.reset();
  EXPECT_TRUE(chain.expired()) << "the table held the chain";
  EXPECT_TRUE(frame.expired()) << "the table held the frame";

  ChainHandle again = chains.frames(id, "hot");
  ASSERT_EQ(again->size(), contents.size());
  for (std::size_t i = 0; i < contents.size(); ++i) EXPECT_EQ(*(*again)[i], contents[i]);
}

// The same object under two names (a hard link) names each frame after the
// name asked for; the first name's live chain stays the one handed out.
TEST(SourceChains, AnotherModuleNameGetsItsOwnFrames) {
  SourceChains chains;
  std::uint32_t id = chains.add(inlined_call(chains, 12));
  ChainHandle first = chains.frames(id, "hot");
  ChainHandle second = chains.frames(id, "hot-link");
  EXPECT_EQ(second->front()->module, "hot-link");
  EXPECT_EQ(chains.frames(id, "hot").get(), first.get());
}

TEST(SourceChains, ClearForgetsTheChainsButNotWhatHoldersKeep) {
  SourceChains chains;
  ChainHandle held = chains.frames(chains.add(inlined_call(chains, 12)), "hot");
  chains.clear();
  EXPECT_EQ(chains.size(), 0u);
  EXPECT_EQ(held->front()->name, "mix_inlined");
  std::uint32_t id = chains.add(inlined_call(chains, 99));
  EXPECT_EQ(chains.frames(id, "hot")->front()->line, 99u);
}

}  // namespace
}  // namespace ember::native

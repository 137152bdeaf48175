// The bound on processes holding unwind state: the least recently used is
// dropped, counted, and a later sample rebuilds it (this test's own stack,
// unwound by CFI through three handlers sharing an LRU of two).
#include "unwind_state_lru.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "ember/proc_maps.hpp"
#include "ember/testing/fake_host.hpp"
#include "process_symbolizer.hpp"
#include "unwind_chain.hpp"

namespace ember::native {
namespace {

struct CountingMember : UnwindStateLru::Member {
  int drops = 0;
  void drop_unwind_state() override { ++drops; }
};

TEST(UnwindStateLru, DropsTheLeastRecentlyUsedAndCountsRebuilds) {
  UnwindStateLru lru(2);
  CountingMember a, b, c;
  EXPECT_FALSE(lru.use(a));
  EXPECT_FALSE(lru.use(b));
  EXPECT_FALSE(lru.use(a));  // a is the most recent now: b goes first
  EXPECT_TRUE(lru.use(c));   // the first drop of the run
  EXPECT_EQ(b.drops, 1);
  EXPECT_EQ(a.drops, 0);
  EXPECT_EQ(lru.size(), 2u);
  EXPECT_EQ(lru.dropped(), 1u);
  EXPECT_EQ(lru.rebuilt(), 0u);

  EXPECT_FALSE(lru.use(b));  // rebuilt; a is the least recent now
  EXPECT_EQ(a.drops, 1);
  EXPECT_EQ(lru.dropped(), 2u);
  EXPECT_EQ(lru.rebuilt(), 1u);

  lru.forget(b);  // gone: its place is free, nothing dropped for it
  EXPECT_FALSE(lru.use(a));
  EXPECT_EQ(c.drops, 0);
  EXPECT_EQ(lru.size(), 2u);
  lru.forget(a);
  lru.forget(c);
  EXPECT_EQ(lru.size(), 0u);

  auto now = std::chrono::steady_clock::now();
  std::string report = lru.report_if_due(now);
  EXPECT_NE(report.find("2 dropped"), std::string::npos) << report;
  EXPECT_EQ(lru.report_if_due(now), "");  // once a minute at most
}

// The user stack of `sample` as the handler unwinds it, leaf first.
std::vector<std::uint64_t> unwound(ProcessHandler& handler, const ember_sample& sample) {
  NativeStack stack;
  handler.unwind_user(sample, stack);
  std::vector<std::uint64_t> pcs;
  for (const NativeFrame& frame : stack.leaf_first) pcs.push_back(frame.pc);
  return pcs;
}

TEST(UnwindStateLru, ALaterSampleRebuildsTheStateOfADroppedProcess) {
  ember::testkit::FakeHost host;
  NativeOptions options;
  options.stack_snapshot = SnapshotMode::always;  // unwound by CFI, with libunwind's state
  options.cache_dir.clear();
  auto symbols = std::make_shared<SymbolCache>(host, options);
  auto objects = std::make_shared<UnwindObjectCache>(host);
  auto lru = std::make_shared<UnwindStateLru>(2);
  std::vector<Mapping> maps;
  ASSERT_TRUE(read_proc_maps(static_cast<std::uint32_t>(getpid()), maps));
  ProcessRef self{static_cast<std::uint32_t>(getpid()), "", "", &maps};
  // Three "processes" (this one, thrice) sharing a bound of two.
  std::vector<std::unique_ptr<ProcessSymbolizer>> handlers;
  for (int i = 0; i < 3; ++i) {
    handlers.push_back(
        std::make_unique<ProcessSymbolizer>(self, symbols, host, options, objects, lru));
  }
  EXPECT_EQ(lru->size(), 2u);
  EXPECT_EQ(lru->dropped(), 1u);  // the first, at the third's attach

  auto sample = std::make_unique<ember_sample>();
  ember_test::ChainTruth truth;
  ember_test::capture_chain(*sample, 16384, truth);
  std::vector<std::uint64_t> first = unwound(*handlers[0], *sample);  // rebuilt; drops the second
  ASSERT_GE(first.size(), 4u);
  EXPECT_EQ(first[1] + 1, truth.into_middle);  // return addresses are moved back into the call
  EXPECT_TRUE(handlers[0]->holds_unwind_state());
  EXPECT_FALSE(handlers[1]->holds_unwind_state());
  EXPECT_EQ(lru->rebuilt(), 1u);

  unwound(*handlers[2], *sample);
  EXPECT_EQ(unwound(*handlers[1], *sample), first);  // rebuilt, the same stack; drops the first
  EXPECT_FALSE(handlers[0]->holds_unwind_state());
  EXPECT_EQ(lru->dropped(), 3u);
  EXPECT_EQ(lru->rebuilt(), 2u);
  EXPECT_EQ(unwound(*handlers[0], *sample), first);
  EXPECT_EQ(lru->size(), 2u);

  handlers.clear();  // each leaves the LRU as it goes
  EXPECT_EQ(lru->size(), 0u);
}

}  // namespace
}  // namespace ember::native

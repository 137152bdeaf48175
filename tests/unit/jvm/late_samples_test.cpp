// Samples the agent names well after they were taken (a slow agent, a full
// ring): the VM may have unloaded their code and methods since, and put
// others at the same addresses. What was found after the sample names it
// only when the VM ran no collection in between.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fake_jvm.hpp"
#include "jvm_process.hpp"

namespace ember::jvm {
namespace {

using testing::FakeJvm;
using testing::FakeStack;

constexpr std::uint64_t kLateHeapLow = 0x7e0000000000;
std::uint64_t g_now = 0;  // the test's CLOCK_MONOTONIC

class LateSampleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    g_now = 100;
    jvm.tables();
    heap = jvm.add_heap(kLateHeapLow, 4096);
  }
  void ready() {
    Status status = process.refresh(jvm.symbols, FakeJvm::kBias);
    ASSERT_TRUE(status.is_ok()) << status.message();
  }
  // The frame of `pc` in a sample taken at `taken`, named at `now`.
  std::string name_at(std::uint64_t taken, std::uint64_t now, std::uint64_t pc,
                      std::uint64_t cfa = 0, const StackCopy& stack = {}) {
    g_now = now;
    process.sample_taken(taken);
    FrameHandle frame = process.frame(pc, cfa, stack);
    process.next_sample();
    return frame ? frame->name : "(none)";
  }
  FakeJvm jvm;
  std::size_t heap = 0;
  JvmProcess process{jvm.memory, [] { return g_now; }};
};

TEST_F(LateSampleTest, CodeCompiledAfterTheSampleAndACollectionDoesNotNameIt) {
  std::uint64_t alpha = jvm.add_method("Alpha", "run", "Alpha.java");
  std::uint64_t omega = jvm.add_method("Omega", "run", "Omega.java");
  std::uint64_t main_method = jvm.add_method("Main", "main", "Main.java");
  std::uint64_t alpha_blob = jvm.add_blob(heap, 40, 8, "nmethod", 6, 12, alpha, 5);
  std::uint64_t main_blob = jvm.add_blob(heap, 60, 8, "nmethod", 6, 12, main_method, 2);
  ready();
  std::uint64_t pc = jvm.code_begin(alpha_blob) + 0x30;
  std::uint64_t main_pc = jvm.code_begin(main_blob) + 0x30;
  EXPECT_EQ(name_at(100, 110, main_pc), "Main.main");
  // Named as soon as taken, before any collection.
  EXPECT_EQ(name_at(120, 130, pc), "Alpha.run");

  // A sample taken in Alpha's code at 200; then, before the agent reads it,
  // a collection unloads Alpha, and Omega is compiled where it was.
  jvm.collect();
  jvm.free_blob(heap, 40, 8);
  jvm.add_blob(heap, 40, 8, "nmethod", 6, 12, omega, 9);
  EXPECT_EQ(name_at(200, 400, pc), "[unknown Java method]");
  // Main's code, known since before the sample and the same now, was there.
  EXPECT_EQ(name_at(200, 410, main_pc), "Main.main");
  // Samples taken after the agent saw the collection: Omega's.
  EXPECT_EQ(name_at(450, 460, pc), "Omega.run");
  EXPECT_EQ(name_at(300, 470, pc), "[unknown Java method]");
  // Code found after the sample, with no collection in between: it was
  // there when the sample was taken.
  std::uint64_t gamma = jvm.add_method("Gamma", "run", "Gamma.java");
  jvm.free_blob(heap, 40, 8);
  jvm.add_blob(heap, 40, 8, "nmethod", 6, 12, gamma, 12);
  EXPECT_EQ(name_at(490, 500, pc), "Gamma.run");
}

TEST_F(LateSampleTest, AMethodRenamedAfterTheSampleAndACollectionDoesNotNameIt) {
  auto [spin, pc, stack] = jvm.add_interpreted_sample(heap);
  ready();
  EXPECT_EQ(name_at(100, 110, pc, 0x1100, stack), "Alpha.spin");
  EXPECT_EQ(name_at(100, 110, pc, 0x1200, stack), "Main.main");

  // Taken at 200 in Alpha.spin; Alpha unloaded by a collection and Omega
  // defined in its place before the agent reads the sample.
  jvm.collect();
  jvm.rename_class(spin, "Omega");
  EXPECT_EQ(name_at(200, 400, pc, 0x1100, stack), "[interpreted Java]");
  EXPECT_EQ(name_at(200, 400, pc, 0x1200, stack), "Main.main");  // the same since 110
  EXPECT_EQ(name_at(450, 460, pc, 0x1100, stack), "Omega.spin");
}

TEST_F(LateSampleTest, WithoutCollectionsEveryLateSampleIsNamed) {
  std::uint64_t alpha = jvm.add_method("Alpha", "run", "Alpha.java");
  std::uint64_t blob = jvm.add_blob(heap, 40, 8, "nmethod", 6, 12, alpha, 5);
  ready();
  // Seen first long after the sample: the VM never collected.
  EXPECT_EQ(name_at(100, 5000, jvm.code_begin(blob) + 0x30), "Alpha.run");
}

}  // namespace
}  // namespace ember::jvm

// StackBuilder with several handlers per process: each user address named by
// the handler claiming it (one call per handler per sample, answers cached by
// the host) or by the native role, unknown code reported before naming, and
// interpreter groups from the handler whose BPF program ran.
#include <gtest/gtest.h>

#include <cstdio>

#include "agent/stack_builder.hpp"

namespace ember {
namespace {

FrameHandle frame(const std::string& name, const char* kind) {
  return std::make_shared<const Frame>(Frame{name, "", "", 0, kind, false});
}

std::string hex(std::uint64_t value) {
  char text[32];
  std::snprintf(text, sizeof text, "%llx", static_cast<unsigned long long>(value));
  return text;
}

// The native role: the stack is `pcs`; names "native@<pc>".
class FakeNative final : public ProcessHandler {
 public:
  void unwind_user(const ember_sample&, NativeStack& stack) override {
    for (std::size_t i = 0; i < pcs.size(); ++i) {
      stack.leaf_first.push_back(NativeFrame{pcs[i], i < cfas.size() ? cfas[i] : 0});
    }
    stack.truncated = truncated;
  }
  void symbolize_native(std::uint64_t pc, std::vector<FrameHandle>& out) override {
    ++named;
    out.push_back(frame("native@" + hex(pc), frame_kind::native));
  }
  std::vector<std::uint64_t> pcs;
  std::vector<std::uint64_t> cfas;
  bool truncated = false;
  int named = 0;
};

// An address symbolizer for `ranges`; names "jit@<pc>", leaves `unnamed` unnamed.
class FakeJit final : public ProcessHandler {
 public:
  explicit FakeJit(std::vector<CodeRange> ranges) : ranges(std::move(ranges)) {}
  void code_ranges(std::vector<CodeRange>& out) const override {
    out.insert(out.end(), ranges.begin(), ranges.end());
  }
  void symbolize_addresses(std::span<const std::uint64_t> pcs,
                           std::vector<std::vector<FrameHandle>>& frames) override {
    batches.emplace_back(pcs.begin(), pcs.end());
    for (std::size_t i = 0; i < pcs.size(); ++i) {
      if (pcs[i] != unnamed) frames[i].push_back(frame("jit@" + hex(pcs[i]), frame_kind::java));
    }
  }
  std::vector<CodeRange> ranges;
  std::vector<std::vector<std::uint64_t>> batches;
  std::uint64_t unnamed = 0;
};

// Names code by its frame: "frame@<cfa>" (an interpreter keeping its method in its frame).
class FakeFramedJit final : public ProcessHandler {
 public:
  void code_ranges(std::vector<CodeRange>& out) const override {
    out.push_back({kFramedJit, kFramedJit + 0x1000, false});
  }
  void symbolize_frames(const ember_sample& sample, std::span<const NativeFrame> frames,
                        std::vector<std::vector<FrameHandle>>& named) override {
    samples.push_back(&sample);
    for (std::size_t i = 0; i < frames.size(); ++i) {
      named[i].push_back(frame("frame@" + hex(frames[i].cfa), frame_kind::java));
    }
  }
  static constexpr std::uint64_t kFramedJit = 0x7f0000080000;  // in the JIT mapping
  std::vector<const ember_sample*> samples;
};

// An interpreter whose groups are one frame named `name`, replacing "native@<eval>".
class FakeInterpreter final : public ProcessHandler {
 public:
  FakeInterpreter(std::string name, std::uint64_t eval) : name(std::move(name)), eval(eval) {}
  void symbolize_runtime(const ember_sample&, RuntimeFrameGroups& groups) override {
    groups.push_back({{frame(name, frame_kind::python)}, 0});
  }
  bool is_interpreter_frame(const Frame& native) const override {
    return native.name == "native@" + hex(eval);
  }
  std::string name;
  std::uint64_t eval;
};

Mapping mapping(std::uint64_t start, std::uint64_t end, std::string path, std::uint64_t inode) {
  Mapping m;
  m.start = start;
  m.end = end;
  m.executable = true;
  m.path = std::move(path);
  m.inode = inode;
  return m;
}

constexpr std::uint64_t kProgram = 0x400000;  // the program's text
constexpr std::uint64_t kJit = 0x7f0000000000;  // anonymous JIT code

std::vector<std::string> names(const std::vector<FrameHandle>& frames) {
  std::vector<std::string> out;
  for (const auto& f : frames) out.push_back(f->name);
  return out;
}

class StackRoutingTest : public ::testing::Test {
 public:
  void SetUp() override {
    process_.mappings = {mapping(kProgram, kProgram + 0x10000, "/usr/bin/app", 7),
                         mapping(kJit, kJit + 0x100000, "", 0)};
    auto native = std::make_unique<FakeNative>();
    native_ = native.get();
    process_.native = native_;
    process_.handlers.push_back(std::move(native));
  }

  FakeJit& attach_jit(std::vector<CodeRange> ranges, std::uint32_t program = 0) {
    auto jit = std::make_unique<FakeJit>(std::move(ranges));
    FakeJit& handler = *jit;
    process_.runtimes.push_back(AttachedRuntime{"jit", jit.get(), program});
    process_.handlers.push_back(std::move(jit));
    process_.code_claims.collect(process_.handlers);
    return handler;
  }

  std::vector<std::string> build(StackBuilder& builder) {
    std::vector<FrameHandle> root_first;
    builder.build(*sample_, process_, root_first);
    return names(root_first);
  }

  ProcessState process_;
  FakeNative* native_ = nullptr;
  std::unique_ptr<ember_sample> sample_ = std::make_unique<ember_sample>();
};

TEST_F(StackRoutingTest, WithoutClaimsTheNativeRoleNamesEverything) {
  native_->pcs = {kProgram + 0x10, kJit + 0x20};
  native_->truncated = true;
  StackBuilder builder(nullptr);
  EXPECT_EQ(build(builder), (std::vector<std::string>{"[truncated]", "native@7f0000000020",
                                                      "native@400010"}));
}

TEST_F(StackRoutingTest, AHandlerNamingByFrameGetsEachAddressCfaAndTheSample) {
  auto framed = std::make_unique<FakeFramedJit>();
  FakeFramedJit& handler = *framed;
  process_.runtimes.push_back(AttachedRuntime{"framed", framed.get(), 0});
  process_.handlers.push_back(std::move(framed));
  process_.code_claims.collect(process_.handlers);
  constexpr std::uint64_t jit = FakeFramedJit::kFramedJit;
  native_->pcs = {jit + 0x10, kProgram + 0x20, jit + 0x10};
  native_->cfas = {0x7ffd1000, 0x7ffd1100, 0x7ffd1200};
  StackBuilder builder(nullptr);
  EXPECT_EQ(build(builder), (std::vector<std::string>{"frame@7ffd1200", "native@400020",
                                                      "frame@7ffd1000"}));
  ASSERT_EQ(handler.samples.size(), 1u);
  EXPECT_EQ(handler.samples[0], sample_.get());
}

TEST_F(StackRoutingTest, ClaimedAddressesGoToTheirHandlerInOneCallPerSample) {
  FakeJit& jit = attach_jit({{kJit, kJit + 0x100000}});
  native_->pcs = {kJit + 0x10, kProgram + 0x20, kJit + 0x30, kProgram + 0x40};
  StackBuilder builder(nullptr);
  EXPECT_EQ(build(builder), (std::vector<std::string>{"native@400040", "jit@7f0000000030",
                                                      "native@400020", "jit@7f0000000010"}));
  ASSERT_EQ(jit.batches.size(), 1u);
  EXPECT_EQ(jit.batches[0], (std::vector<std::uint64_t>{kJit + 0x10, kJit + 0x30}));
  EXPECT_EQ(native_->named, 2) << "the native role names only what nobody claims";
}

TEST_F(StackRoutingTest, TheHostCachesAnswersByMappingAndAddress) {
  FakeJit& jit = attach_jit({{kJit, kJit + 0x100000}});
  native_->pcs = {kJit + 0x1010, kProgram + 0x20};
  StackBuilder builder(nullptr);
  auto first = build(builder);
  EXPECT_EQ(build(builder), first);
  EXPECT_EQ(jit.batches.size(), 1u) << "the second sample was named from the cache";

  // The JIT's mapping is replaced by one starting elsewhere: its answers go.
  process_.mappings[1].start += 0x1000;
  process_.code_names.forget_changed(process_.mappings);
  EXPECT_EQ(build(builder), first);
  EXPECT_EQ(jit.batches.size(), 2u);
}

TEST_F(StackRoutingTest, UncacheableRangesAreAskedEveryTime) {
  FakeJit& jit = attach_jit({{kJit, kJit + 0x100000, false}});
  native_->pcs = {kJit + 0x10};
  StackBuilder builder(nullptr);
  build(builder);
  build(builder);
  EXPECT_EQ(jit.batches.size(), 2u);
  EXPECT_EQ(process_.code_names.size(), 0u);
}

TEST_F(StackRoutingTest, AnAddressItsClaimerLeavesUnnamedIsNamedNatively) {
  FakeJit& jit = attach_jit({{kJit, kJit + 0x100000}});
  jit.unnamed = kJit + 0x10;
  native_->pcs = {kJit + 0x10, kJit + 0x20};
  StackBuilder builder(nullptr);
  EXPECT_EQ(build(builder),
            (std::vector<std::string>{"jit@7f0000000020", "native@7f0000000010"}));
  build(builder);
  EXPECT_EQ(jit.batches.back(), (std::vector<std::uint64_t>{kJit + 0x10}))
      << "an unnamed address is not cached";
}

TEST_F(StackRoutingTest, UnknownCodeIsReportedBeforeNaming) {
  // The JIT maps new code; its first sample makes the host re-read and
  // attach, and that very sample is named by the new claimer.
  const std::uint64_t fresh = 0x7e0000000000;
  native_->pcs = {fresh + 0x10, kProgram + 0x20};
  FakeJit* jit = nullptr;
  int reports = 0;
  StackBuilder builder(nullptr, [&](ProcessState& process) {
    ++reports;
    process.mappings.insert(process.mappings.begin() + 1, mapping(fresh, fresh + 0x1000, "", 0));
    if (!jit) jit = &attach_jit({{fresh, fresh + 0x1000}});
    return true;
  });
  EXPECT_EQ(build(builder), (std::vector<std::string>{"native@400020", "jit@7e0000000010"}));
  EXPECT_EQ(reports, 1);
  build(builder);
  EXPECT_EQ(reports, 1) << "known now";
}

TEST_F(StackRoutingTest, GarbageStillUnmappedAfterAReReadIsNotReportedAgain) {
  native_->pcs = {kProgram + 0x10, 0x123456789};  // a frame-pointer walk's junk
  int reports = 0;
  bool reread = false;
  StackBuilder builder(nullptr, [&](ProcessState&) {
    ++reports;
    return reread;
  });
  build(builder);
  build(builder);
  EXPECT_EQ(reports, 2) << "not re-read (rate-limited): asked again";
  reread = true;
  build(builder);
  build(builder);
  EXPECT_EQ(reports, 3) << "outside every mapping after a re-read: garbage";
  native_->pcs = {kProgram + 0x10, 0x1000};
  build(builder);
  EXPECT_EQ(reports, 4) << "other junk is asked about";
}

TEST_F(StackRoutingTest, InterpreterGroupsComeFromTheHandlerWhoseProgramRan) {
  native_->pcs = {kProgram + 0x10, kProgram + 0x20, kProgram + 0x30};
  auto add = [&](std::string name, std::uint32_t program) {
    auto handler = std::make_unique<FakeInterpreter>(std::move(name), kProgram + 0x20);
    process_.runtimes.push_back(AttachedRuntime{"interp", handler.get(), program});
    process_.handlers.push_back(std::move(handler));
  };
  add("first", 1);
  add("second", 2);
  StackBuilder builder(nullptr);
  sample_->runtime_program = 2;
  EXPECT_EQ(build(builder),
            (std::vector<std::string>{"native@400030", "second", "native@400010"}));
  sample_->runtime_program = 1;
  EXPECT_EQ(build(builder), (std::vector<std::string>{"native@400030", "first", "native@400010"}));
  sample_->runtime_program = 0;
  EXPECT_EQ(build(builder),
            (std::vector<std::string>{"native@400030", "native@400020", "native@400010"}));
}

TEST_F(StackRoutingTest, CaptureReadsTheProcessAndFinishNamesTheRestLater) {
  // What reads the live process (unwinding, claimed code, interpreter
  // frames) happens in capture(); native names wait for finish(), which
  // needs no more of the sample than what capture() kept.
  FakeJit& jit = attach_jit({{kJit, kJit + 0x100000}});
  auto interpreter = std::make_unique<FakeInterpreter>("py", kProgram + 0x20);
  process_.runtimes.push_back(AttachedRuntime{"interp", interpreter.get(), 1});
  process_.handlers.push_back(std::move(interpreter));
  native_->pcs = {kJit + 0x10, kProgram + 0x20, kProgram + 0x30};
  sample_->runtime_program = 1;
  sample_->kernel_frame_count = 0;
  sample_->flags = EMBER_SAMPLE_RUNTIME_TRUNCATED;
  StackBuilder builder(nullptr);
  CapturedStack captured;
  builder.capture(*sample_, process_, captured);
  EXPECT_EQ(jit.batches.size(), 1u);
  ASSERT_EQ(captured.groups.size(), 1u);
  EXPECT_EQ(native_->named, 0) << "native names are left for finish()";

  *sample_ = ember_sample{};  // the record's buffer is reused meanwhile
  native_->pcs.clear();
  std::vector<FrameHandle> root_first;
  builder.finish(captured, process_, root_first);
  EXPECT_EQ(names(root_first), (std::vector<std::string>{"[truncated]", "native@400030", "py",
                                                         "jit@7f0000000010"}));
  EXPECT_EQ(native_->named, 2);
}

TEST_F(StackRoutingTest, TheNativeUnwinderSaysWhetherTheUserStackGoesOn) {
  // The sampler's frame-pointer walk ran to its bound through the parent's
  // frames or garbage; the unwinder replaced them with a complete stack.
  native_->pcs = {kProgram + 0x20, kProgram + 0x30};
  sample_->kernel_frame_count = 0;
  sample_->flags = EMBER_SAMPLE_USER_TRUNCATED;
  StackBuilder builder(nullptr);
  EXPECT_EQ(build(builder), (std::vector<std::string>{"native@400030", "native@400020"}));
  native_->truncated = true;
  EXPECT_EQ(build(builder),
            (std::vector<std::string>{"[truncated]", "native@400030", "native@400020"}));
}

}  // namespace
}  // namespace ember

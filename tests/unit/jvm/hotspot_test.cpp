// The JVM plugin's readers over a made-up HotSpot VM (fake_jvm.hpp): the
// vmStructs tables, the layout taken from them, the code cache's segment
// map, Java names, unwind rules, and blobs freed or replaced under the cache.
#include <gtest/gtest.h>

#include <vector>

#include "code_cache.hpp"
#include "fake_jvm.hpp"
#include "hotspot_layout.hpp"
#include "jvm_process.hpp"
#include "method_names.hpp"
#include "vm_structs.hpp"

namespace ember::jvm {
namespace {

using testing::FakeJvm;
using testing::FakeStack;

constexpr std::uint64_t kHeapLow = 0x7e0000000000;

TEST(VmStructs, ReadsFieldOffsetsStaticAddressesAndSizes) {
  FakeJvm jvm;
  jvm.tables();
  VmStructs vm;
  Status status = VmStructs::read(jvm.memory, jvm.symbols, FakeJvm::kBias, vm);
  ASSERT_TRUE(status.is_ok()) << status.message();
  EXPECT_EQ(vm.offset("CodeBlob", "_frame_size"), 28u);
  EXPECT_EQ(vm.offset("nmethod", "_compile_id"), 304u);
  EXPECT_FALSE(vm.offset("CodeCache", "_heaps"));  // static: an address, not an offset
  EXPECT_TRUE(vm.address("CodeCache", "_heaps"));
  EXPECT_FALSE(vm.offset("CodeBlob", "_no_such_field"));
  EXPECT_EQ(vm.size("HeapBlock"), 16u);
  EXPECT_EQ(vm.size("ConstantPool"), 72u);
  EXPECT_FALSE(vm.size("NoSuchType"));
}

TEST(VmStructs, TablesNotSetUpAreAnError) {
  FakeJvm jvm;  // no tables(): the globals are still zero, as before libjvm.so initialises
  VmStructs vm;
  Status status = VmStructs::read(jvm.memory, jvm.symbols, FakeJvm::kBias, vm);
  ASSERT_FALSE(status.is_ok());
  EXPECT_NE(status.message().find("not set up"), std::string::npos) << status.message();
  // Unreadable: the library is not where the bias says.
  jvm.tables();
  EXPECT_FALSE(VmStructs::read(jvm.memory, jvm.symbols, FakeJvm::kBias + 0x100000, vm).is_ok());
}

TEST(HotSpotLayout, TakesEveryFieldByNameAndNamesAMissingOne) {
  FakeJvm jvm;
  jvm.tables();
  VmStructs vm;
  ASSERT_TRUE(VmStructs::read(jvm.memory, jvm.symbols, FakeJvm::kBias, vm).is_ok());
  HotSpotLayout layout;
  Status status = HotSpotLayout::from(vm, layout);
  ASSERT_TRUE(status.is_ok()) << status.message();
  EXPECT_EQ(layout.nmethod_method, 112u);  // from CompiledMethod::_method, its JDK 17 home
  EXPECT_EQ(layout.heap_block_used, 8u);
  EXPECT_EQ(layout.constant_pool_size, 72u);
  EXPECT_EQ(layout.blob_header_bytes(), 308u);

  FakeJvm older;
  older.omit("ConstMethod", "_name_index");
  older.tables();
  ASSERT_TRUE(VmStructs::read(older.memory, older.symbols, FakeJvm::kBias, vm).is_ok());
  status = HotSpotLayout::from(vm, layout);
  ASSERT_FALSE(status.is_ok());
  EXPECT_NE(status.message().find("ConstMethod::_name_index"), std::string::npos)
      << status.message();
}

TEST(HotSpotLayout, ScopesAreOptional) {
  FakeJvm jvm;
  jvm.omit("PcDesc", "_scope_decode_offset");
  jvm.tables();
  VmStructs vm;
  ASSERT_TRUE(VmStructs::read(jvm.memory, jvm.symbols, FakeJvm::kBias, vm).is_ok());
  HotSpotLayout layout;
  ASSERT_TRUE(HotSpotLayout::from(vm, layout).is_ok());
  EXPECT_FALSE(layout.has_scopes);  // compiled frames are named by their nmethod alone
}

TEST(JavaClassName, DotsAndHiddenClassSuffix) {
  EXPECT_EQ(java_class_name("java/util/HashMap$Node"), "java.util.HashMap$Node");
  EXPECT_EQ(java_class_name("Main"), "Main");
  EXPECT_EQ(java_class_name("Main$$Lambda$14/0x0000000800c0b000"), "Main$$Lambda$14");
  EXPECT_EQ(java_class_name("Alloc$$Lambda$1+0x00007f3a4c000a08"), "Alloc$$Lambda$1");
  EXPECT_EQ(java_class_name("a/b/0xnothex"), "a.b.0xnothex");
}

class CodeCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    jvm.tables();
    heap = jvm.add_heap(kHeapLow, 4096);
    VmStructs vm;
    ASSERT_TRUE(VmStructs::read(jvm.memory, jvm.symbols, FakeJvm::kBias, vm).is_ok());
    ASSERT_TRUE(HotSpotLayout::from(vm, layout).is_ok());
  }
  FakeJvm jvm;
  std::size_t heap = 0;
  HotSpotLayout layout;
};

TEST_F(CodeCacheTest, FindsTheBlobOfAnAddressThroughTheSegmentMap) {
  std::uint64_t small = jvm.add_blob(heap, 10, 4, "nmethod", 6, 12);
  // 600 segments: the map is walked back over more than one 256-byte window.
  std::uint64_t large = jvm.add_blob(heap, 100, 600, "Interpreter", 0, -1);
  CodeCache cache;
  ASSERT_TRUE(cache.load(jvm.memory, layout).is_ok());
  ASSERT_EQ(cache.heaps().size(), 1u);
  EXPECT_EQ(cache.heaps()[0].low, kHeapLow);
  EXPECT_EQ(cache.heaps()[0].high, kHeapLow + 4096 * FakeJvm::kSegment);

  auto at = [&](std::uint64_t segment, std::uint64_t offset) {
    return cache.find_blob(jvm.memory, kHeapLow + segment * FakeJvm::kSegment + offset);
  };
  EXPECT_EQ(at(10, 0x50), small);
  EXPECT_EQ(at(13, 0x7f), small);
  EXPECT_EQ(at(100, 0x60), large);
  EXPECT_EQ(at(399, 0), large);
  EXPECT_EQ(at(699, 0x10), large);
  EXPECT_FALSE(at(14, 0));   // free
  EXPECT_FALSE(at(700, 0));  // free
  EXPECT_FALSE(cache.find_blob(jvm.memory, kHeapLow - 1));

  BlobInfo info;
  ASSERT_TRUE(CodeCache::read_blob(jvm.memory, layout, small, info));
  EXPECT_EQ(info.code_begin, jvm.code_begin(small));
  EXPECT_EQ(info.frame_size_words, 6);
  EXPECT_EQ(info.frame_complete_offset, 12);
  jvm.free_blob(heap, 10, 4);
  EXPECT_FALSE(CodeCache::read_blob(jvm.memory, layout, small, info));  // its block is free
}

TEST_F(CodeCacheTest, NotSetUpYet) {
  FakeJvm starting;
  starting.tables();  // no heap added: CodeCache::_heaps is still null
  CodeCache cache;
  EXPECT_FALSE(cache.load(starting.memory, layout).is_ok());
}

class JvmProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    jvm.tables();
    heap = jvm.add_heap(kHeapLow, 4096);
  }
  void ready() {
    Status status = process.refresh(jvm.symbols, FakeJvm::kBias);
    ASSERT_TRUE(status.is_ok()) << status.message();
  }
  std::string name_at(std::uint64_t pc) {
    FrameHandle frame = process.frame(pc);
    process.next_sample();
    return frame ? frame->name + (frame->file.empty() ? "" : " (" + frame->file + ")") : "(none)";
  }
  FakeJvm jvm;
  std::size_t heap = 0;
  JvmProcess process{jvm.memory};
};

TEST_F(JvmProcessTest, NamesCompiledMethodsInterpreterAndStubs) {
  std::uint64_t mark = jvm.add_method("bench/Sieve", "mark", "Sieve.java");
  std::uint64_t nmethod = jvm.add_blob(heap, 40, 8, "nmethod", 6, 12, mark, 17);
  std::uint64_t interpreter = jvm.add_blob(heap, 0, 30, "Interpreter", 0, -1);
  std::uint64_t stubs = jvm.add_blob(heap, 30, 4, "StubRoutines (1)", 0, -1);
  ready();
  EXPECT_EQ(process.version(), "17.0.99+1-test");
  FrameHandle frame = process.frame(jvm.code_begin(nmethod) + 0x20);
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->kind, "java");
  EXPECT_EQ(name_at(jvm.code_begin(nmethod) + 0x20), "bench.Sieve.mark (Sieve.java)");
  EXPECT_EQ(name_at(jvm.code_begin(interpreter) + 0x100), "[interpreted Java]");
  EXPECT_EQ(name_at(jvm.code_begin(stubs)), "[StubRoutines (1)]");
  EXPECT_EQ(name_at(kHeapLow + 100 * FakeJvm::kSegment), "(none)");  // free space
  EXPECT_EQ(name_at(nmethod), "(none)");  // the blob's header, not its code
}

TEST_F(JvmProcessTest, UnwindRulesFromFrameSizes) {
  std::uint64_t method = jvm.add_method("Main", "loop", "Main.java");
  std::uint64_t nmethod = jvm.add_blob(heap, 40, 8, "nmethod", 6, 12, method, 3);
  std::uint64_t interpreter = jvm.add_blob(heap, 0, 30, "Interpreter", 0, -1);
  ready();
  UnwindRule rule;
  // In the body: CFA = sp + 6 words, return address and saved rbp below it.
  ASSERT_TRUE(process.unwind_rule(jvm.code_begin(nmethod) + 12, rule));
  EXPECT_EQ(rule.cfa_base, UnwindRule::CfaBase::sp);
  EXPECT_EQ(rule.cfa_offset, 48);
  EXPECT_EQ(rule.return_address_offset, -8);
  EXPECT_TRUE(rule.saves_bp);
  EXPECT_EQ(rule.saved_bp_offset, -16);
  // Before the frame is complete: only the return address is on the stack.
  ASSERT_TRUE(process.unwind_rule(jvm.code_begin(nmethod) + 11, rule));
  EXPECT_EQ(rule.cfa_base, UnwindRule::CfaBase::sp);
  EXPECT_EQ(rule.cfa_offset, 8);
  EXPECT_FALSE(rule.saves_bp);
  // The interpreter keeps rbp frames.
  ASSERT_TRUE(process.unwind_rule(jvm.code_begin(interpreter) + 0x40, rule));
  EXPECT_EQ(rule.cfa_base, UnwindRule::CfaBase::bp);
  EXPECT_EQ(rule.cfa_offset, 16);
  EXPECT_TRUE(rule.saves_bp);
  EXPECT_FALSE(process.unwind_rule(kHeapLow + 200 * FakeJvm::kSegment, rule));
}

TEST_F(JvmProcessTest, CodeFreedOrReplacedIsNotNamedFromTheCache) {
  std::uint64_t old_method = jvm.add_method("app/Old", "run", "Old.java");
  std::uint64_t new_method = jvm.add_method("app/New", "run", "New.java");
  std::uint64_t blob = jvm.add_blob(heap, 40, 8, "nmethod", 6, 12, old_method, 5);
  ready();
  std::uint64_t pc = jvm.code_begin(blob) + 0x30;
  EXPECT_EQ(name_at(pc), "app.Old.run (Old.java)");
  EXPECT_EQ(process.cached_blobs(), 1u);

  // Unloaded: its heap block freed.
  jvm.free_blob(heap, 40, 8);
  EXPECT_EQ(name_at(pc), "(none)");

  // Another method compiled into the same place.
  jvm.add_blob(heap, 40, 8, "nmethod", 6, 12, new_method, 9);
  EXPECT_EQ(name_at(pc), "app.New.run (New.java)");

  // Another method compiled over a larger block starting earlier.
  jvm.free_blob(heap, 40, 8);
  std::uint64_t wider = jvm.add_blob(heap, 36, 16, "nmethod", 6, 12, old_method, 12);
  EXPECT_EQ(name_at(pc), "app.Old.run (Old.java)");
  EXPECT_EQ(name_at(jvm.code_begin(wider)), "app.Old.run (Old.java)");
  EXPECT_EQ(process.cached_blobs(), 1u);
}

TEST_F(JvmProcessTest, ACachedNmethodIsCheckedOncePerSampleAndStubsNever) {
  std::uint64_t method = jvm.add_method("Main", "loop", "Main.java");
  std::uint64_t blob = jvm.add_blob(heap, 40, 8, "nmethod", 6, 12, method, 3);
  std::uint64_t stub = jvm.add_blob(heap, 30, 4, "StubRoutines (1)", 0, -1);
  ready();
  std::uint64_t pc = jvm.code_begin(blob) + 0x30;
  std::uint64_t stub_pc = jvm.code_begin(stub) + 0x10;
  UnwindRule rule;
  ASSERT_TRUE(process.unwind_rule(pc, rule));
  ASSERT_TRUE(process.frame(pc));
  ASSERT_TRUE(process.frame(stub_pc));
  process.next_sample();
  std::size_t before = jvm.memory.reads;
  // One sample: its unwind and its names check the nmethod once, the stub not.
  ASSERT_TRUE(process.unwind_rule(pc, rule));
  ASSERT_TRUE(process.frame(pc));
  ASSERT_TRUE(process.frame(pc + 4));
  ASSERT_TRUE(process.unwind_rule(stub_pc, rule));
  ASSERT_TRUE(process.frame(stub_pc));
  EXPECT_EQ(jvm.memory.reads - before, 1u);
}

TEST(LineNumbers, CompressedPairsEscapedPairsAndTheTerminator) {
  // (bci 0, line 10) escaped (line delta 10 > 7), (4, 11) and (9, 13) in a
  // byte each, (200, 12) escaped (bci delta 191 > 31, line delta -1),
  // then the terminator.
  // Escaped numbers are zig-zag UNSIGNED5: 10 -> 20 (one byte below 192);
  // 191 -> 382 = 254 + (2 << 6): 254 (192 and up: another byte follows), 2.
  std::vector<unsigned char> bytes = {0xff, 0,   20,  (4 << 3) | 1, (5 << 3) | 2,
                                      0xff, 254, 2,   1,            0};
  bool complete = false;
  std::vector<LineEntry> table = decode_line_table(bytes, complete);
  ASSERT_TRUE(complete);
  ASSERT_EQ(table.size(), 4u);
  EXPECT_EQ(table[0].bci, 0u);
  EXPECT_EQ(table[0].line, 10u);
  EXPECT_EQ(table[1].bci, 4u);
  EXPECT_EQ(table[1].line, 11u);
  EXPECT_EQ(table[2].bci, 9u);
  EXPECT_EQ(table[2].line, 13u);
  EXPECT_EQ(table[3].bci, 200u);
  EXPECT_EQ(table[3].line, 12u);
  EXPECT_EQ(line_of(table, 0), 10u);
  EXPECT_EQ(line_of(table, 3), 10u);
  EXPECT_EQ(line_of(table, 9), 13u);
  EXPECT_EQ(line_of(table, 150), 13u);
  EXPECT_EQ(line_of(table, 250), 12u);
  decode_line_table(std::span(bytes).first(5), complete);
  EXPECT_FALSE(complete);
}

TEST_F(JvmProcessTest, InterpretedFramesNamedByTheMethodInTheirFrame) {
  // Main.main: bci 0 at line 20, bci 8 at line 22.
  std::uint64_t main_method =
      jvm.add_method("Main", "main", "Main.java", 16, {0xff, 0x00, 40, (8 << 3) | 2, 0x00});
  std::uint64_t loop_method = jvm.add_method("Main", "loop", "Main.java");
  std::uint64_t interpreter = jvm.add_blob(heap, 0, 30, "Interpreter", 0, -1);
  ready();
  // A stack copy from sp 0x1000: two interpreter frames, their CFAs at
  // 0x1100 and 0x1200, each with its Method* at CFA - 40.
  FakeStack fake_stack;
  fake_stack.put(0x1100 - 40, loop_method);
  fake_stack.put(0x1200 - 40, main_method);
  fake_stack.put(0x1200 - 80, jvm.bytecodes(main_method) + 9);  // its bcp: bci 9
  fake_stack.put(0x1300 - 40, 0xdead0000);  // not a Method*
  StackCopy stack = fake_stack.copy();
  std::uint64_t pc = jvm.code_begin(interpreter) + 0x80;
  auto name = [&](std::uint64_t cfa) {
    FrameHandle frame = process.frame(pc, cfa, stack);
    return frame ? frame->name : "(none)";
  };
  EXPECT_EQ(name(0x1100), "Main.loop");
  EXPECT_EQ(name(0x1200), "Main.main");
  EXPECT_EQ(process.frame(pc, 0x1200, stack)->line, 22u);
  EXPECT_EQ(process.frame(pc, 0x1100, stack)->line, 0u);  // no line table
  EXPECT_EQ(name(0x1300), "[interpreted Java]");
  EXPECT_EQ(name(0x1500), "[interpreted Java]");  // beyond the copy
  EXPECT_EQ(name(0), "[interpreted Java]");       // CFA unknown
  EXPECT_EQ(process.cached_methods(), 2u);

  // Its class unloaded and another method allocated where it was: the
  // cached name is checked against the Method's ConstMethod.
  process.next_sample();
  std::uint64_t other = jvm.add_method("Other", "run", "Other.java");
  std::uint64_t other_const_method = 0;
  ASSERT_TRUE(jvm.memory.value(other + testing::off::kMethodConstMethod, other_const_method));
  jvm.memory.put(loop_method + testing::off::kMethodConstMethod, other_const_method);
  EXPECT_EQ(name(0x1100), "Other.run");
}

TEST_F(JvmProcessTest, AMethodIsNamedAfreshOnceClassesMayHaveBeenUnloaded) {
  // Alpha unloaded and Omega, of the same shape, defined where it was: the
  // same Method* and ConstMethod*, another name.
  auto [spin, pc, stack] = jvm.add_interpreted_sample(heap);
  ready();
  // One sample's names: its two interpreted frames.
  auto sample = [&] {
    std::string names = process.frame(pc, 0x1100, stack)->name + " < " +
                        process.frame(pc, 0x1200, stack)->name;
    process.next_sample();
    return names;
  };
  EXPECT_EQ(sample(), "Alpha.spin < Main.main");
  std::size_t before = jvm.memory.reads;
  EXPECT_EQ(sample(), "Alpha.spin < Main.main");
  // Per sample: each method's identity (ConstMethod*, pool, holder, class
  // name), and the epoch once (two values).
  EXPECT_EQ(jvm.memory.reads - before, 10u);

  jvm.rename_class(spin, "Omega");
  jvm.collect();
  EXPECT_EQ(sample(), "Omega.spin < Main.main");
  jvm.rename_class(spin, "Gamma");
  jvm.new_class_loader();
  EXPECT_EQ(sample(), "Gamma.spin < Main.main");
  // Named while a collection unloading it was under way (its count already
  // moved, the new class loader's data where the old one's was): the epoch
  // does not change when another class takes its place, its name does.
  jvm.rename_class(spin, "Delta");
  EXPECT_EQ(sample(), "Delta.spin < Main.main");
}

TEST_F(JvmProcessTest, CompiledFramesExpandInlinedMethodsFromTheirScopes) {
  // Main.loop: bci 0 at line 30, bci 8 at line 33.
  std::uint64_t loop =
      jvm.add_method("Main", "loop", "Main.java", 16, {0xff, 0, 60, (8 << 3) | 3, 0});
  std::uint64_t mark = jvm.add_method("Sieve", "mark", "Sieve.java");
  std::uint64_t tiny = jvm.add_method("Helper", "tiny", "Helper.java");
  std::uint64_t blob = jvm.add_blob(heap, 40, 16, "nmethod", 6, 12, loop, 21);
  // Scope records {caller's record, method index, bci + 1}: at 1 Main.loop
  // bci 9; at 8 Sieve.mark bci 5 inlined into it; at 16 Helper.tiny bci 0
  // inlined into that.
  std::vector<unsigned char> data(24, 0);
  auto record = [&](std::size_t at, unsigned char sender, unsigned char index, unsigned char bci) {
    data[at] = sender;
    data[at + 1] = index;
    data[at + 2] = bci + 1;
  };
  record(1, 0, 1, 9);
  record(8, 1, 2, 5);
  record(16, 8, 3, 0);
  jvm.add_scopes(blob, {loop, mark, tiny}, {{0x10, 1}, {0x30, 16}, {0x50, 0}}, data);
  ready();
  ASSERT_TRUE(process.layout().has_scopes);
  auto frames_at = [&](std::uint64_t offset) {
    std::vector<FrameHandle> frames;
    process.frames(jvm.code_begin(blob) + offset, 0, {}, frames);
    std::string out;
    for (const FrameHandle& f : frames) {
      out += f->name + ":" + std::to_string(f->line) + (f->inlined ? " [inlined]" : "") + "\n";
    }
    return out;
  };
  // Named at the next PcDesc after the pc (a return address - 1, or a leaf).
  EXPECT_EQ(frames_at(0x20), "Helper.tiny:0 [inlined]\nSieve.mark:0 [inlined]\nMain.loop:33\n");
  EXPECT_EQ(frames_at(0x2f), "Helper.tiny:0 [inlined]\nSieve.mark:0 [inlined]\nMain.loop:33\n");
  EXPECT_EQ(frames_at(0x05), "Main.loop:33\n");
  EXPECT_EQ(frames_at(0x40), "Main.loop:0\n");  // a PcDesc without a scope: the nmethod's method
  EXPECT_EQ(frames_at(0x60), "Main.loop:0\n");  // after the last PcDesc
}

TEST(JvmProcess, AVmLackingAFieldIsUnsupportedForGood) {
  FakeJvm jvm;
  jvm.omit("CodeBlob", "_code_begin");  // JDK 23+: _code_offset
  jvm.tables();
  jvm.add_heap(kHeapLow, 64);
  JvmProcess process{jvm.memory};
  Status status = process.refresh(jvm.symbols, FakeJvm::kBias);
  ASSERT_FALSE(status.is_ok());
  EXPECT_NE(status.message().find("CodeBlob::_code_begin"), std::string::npos) << status.message();
  EXPECT_TRUE(process.unsupported());
  EXPECT_FALSE(process.ready());
}

// The VM adds its heaps one at a time, each mapped as it is added: a read
// between two finds some. Its code reserve holds the ones still to come, and
// a pc there in no heap known has them read again (not at every such pc).
TEST(JvmProcessHeaps, HeapsAddedAfterTheVmWasReadAreFoundInItsReserve) {
  static std::uint64_t now_ns = 1'000'000'000;
  FakeJvm jvm;
  jvm.tables();
  constexpr std::uint64_t kSegments = 1024, kHeapBytes = kSegments * FakeJvm::kSegment;
  jvm.reserve(kHeapLow, kHeapLow + 3 * kHeapBytes);
  std::size_t profiled = jvm.add_heap(kHeapLow, kSegments);
  std::size_t non_methods = jvm.add_heap(kHeapLow + kHeapBytes, kSegments);
  std::uint64_t interpreter = jvm.add_blob(non_methods, 0, 30, "Interpreter", 0, -1);
  std::uint64_t c1 = jvm.add_blob(profiled, 8, 8, "nmethod", 6, 12,
                                  jvm.add_method("bench/Sieve", "mark", "Sieve.java"), 3);
  JvmProcess process{jvm.memory, [] { return now_ns; }};
  ASSERT_TRUE(process.refresh(jvm.symbols, FakeJvm::kBias).is_ok());
  auto spans = process.code_spans();
  ASSERT_EQ(spans.size(), 1u);  // the whole reserve is claimed, not the two heaps
  EXPECT_EQ(spans[0], std::make_pair(kHeapLow, kHeapLow + 3 * kHeapBytes));
  auto name_at = [&](std::uint64_t pc) {
    FrameHandle frame = process.frame(pc);
    process.next_sample();
    return frame ? frame->name : "(none)";
  };
  EXPECT_EQ(name_at(jvm.code_begin(interpreter)), "[interpreted Java]");
  EXPECT_EQ(name_at(jvm.code_begin(c1)), "bench.Sieve.mark");

  // The third heap, added after the read; C2's code in it.
  std::size_t non_profiled = jvm.add_heap(kHeapLow + 2 * kHeapBytes, kSegments);
  std::uint64_t c2 = jvm.add_blob(non_profiled, 16, 8, "nmethod", 4, 8,
                                  jvm.add_method("bench/Hasher", "mix", "Hasher.java"), 9);
  EXPECT_EQ(name_at(jvm.code_begin(c2)), "(none)");  // read 0 ms ago: not yet
  const std::size_t reads = jvm.memory.reads;
  EXPECT_EQ(name_at(jvm.code_begin(c2)), "(none)");
  EXPECT_EQ(jvm.memory.reads, reads);  // no read at every pc there
  now_ns += 200'000'000;
  EXPECT_EQ(name_at(jvm.code_begin(c2)), "bench.Hasher.mix");
  UnwindRule rule;
  EXPECT_TRUE(process.unwind_rule(jvm.code_begin(c2) + 0x10, rule));
  EXPECT_EQ(process.heaps().size(), 3u);
}

TEST_F(JvmProcessTest, NotReadyWhileTheVmStarts) {
  FakeJvm starting;
  starting.tables();
  JvmProcess early{starting.memory};
  Status status = early.refresh(starting.symbols, FakeJvm::kBias);
  EXPECT_FALSE(status.is_ok());
  EXPECT_FALSE(early.ready());
  EXPECT_FALSE(early.unsupported());  // not yet set up is not final
  UnwindRule rule;
  EXPECT_FALSE(early.unwind_rule(kHeapLow, rule));
  starting.add_heap(kHeapLow, 64);
  EXPECT_TRUE(early.refresh(starting.symbols, FakeJvm::kBias).is_ok());
  EXPECT_TRUE(early.ready());
}

}  // namespace
}  // namespace ember::jvm

// The DWARF unwinding parts of the native plugin against real objects: two
// builds of one C file (with and without frame pointers) for the .eh_frame
// scan, and this test's own stack for libunwind over a snapshot (under a
// synthetic JIT frame without CFI, for a plugin's unwind rule, and under a
// signal frame).
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cfi_rule.hpp"
#include "cfi_scan.hpp"
#include "dwarf_unwinder.hpp"
#include "ember/elf_file.hpp"
#include "ember/proc_maps.hpp"
#include "ember/testing/fake_host.hpp"
#include "frame_names.hpp"
#include "scratch_dir.hpp"
#include "snapshot_policy.hpp"
#include "unwind_chain.hpp"
#include "unwind_object.hpp"

namespace ember::native {
namespace {

std::unique_ptr<UnwindObject> open_object(const char* path) {
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  EXPECT_GE(fd, 0) << path;
  std::unique_ptr<UnwindObject> object;
  Status status = UnwindObject::open(fd, path, object);
  ::close(fd);
  EXPECT_TRUE(status) << status.message();
  return object;
}

std::uint64_t symbol(const char* path, const char* name) {
  ElfFile elf;
  EXPECT_TRUE(ElfFile::open(path, elf));
  auto found = elf.find_symbol(name);
  EXPECT_TRUE(found) << name << " in " << path;
  return found ? found->address : 0;
}

TEST(CfiScanTest, FramePointerBuildKeepsRbpFramesAndOmittingBuildHasNone) {
  auto fp = open_object(EMBER_CFI_FP);
  auto nofp = open_object(EMBER_CFI_NOFP);
  ASSERT_TRUE(fp && nofp);
  EXPECT_FALSE(fp->build_id().empty());
  EXPECT_TRUE(fp->search_table().has_value());
  EXPECT_TRUE(nofp->search_table().has_value());

  EXPECT_GT(fp->frame_pointers().fdes, 0u);
  EXPECT_EQ(fp->frame_pointers().fdes, nofp->frame_pointers().fdes);
  EXPECT_FALSE(omits_frame_pointers(fp->frame_pointers()));
  EXPECT_TRUE(omits_frame_pointers(nofp->frame_pointers()));
  EXPECT_EQ(nofp->frame_pointers().rbp_frames.size(), 0u);

  // cfi_work has a loop and a call: with -fno-omit-frame-pointer it sets up
  // rbp; the one-instruction leaf cfi_leaf doesn't even then.
  std::uint64_t work = symbol(EMBER_CFI_FP, "cfi_work");
  EXPECT_TRUE(fp->frame_pointers().rbp_frame_at(work + 4));
  EXPECT_FALSE(nofp->frame_pointers().rbp_frame_at(symbol(EMBER_CFI_NOFP, "cfi_work") + 4));
  EXPECT_FALSE(fp->frame_pointers().rbp_frame_at(symbol(EMBER_CFI_FP, "cfi_leaf")));
}

TEST(UnwindObjectTest, FileTruncatedAfterOpeningGivesFailedReadsNotACrash) {
  ember::test::ScratchDir dir("ember-unwind");
  const std::string path = dir.file("copy");
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  {
    int in = ::open(EMBER_CFI_NOFP, O_RDONLY | O_CLOEXEC);
    ASSERT_GE(in, 0);
    char buffer[65536];
    for (ssize_t n; (n = ::read(in, buffer, sizeof buffer)) > 0;) {
      ASSERT_EQ(::write(fd, buffer, static_cast<std::size_t>(n)), n);
    }
    ::close(in);
  }
  std::unique_ptr<UnwindObject> object;
  ASSERT_TRUE(UnwindObject::open(fd, path, object));
  ASSERT_TRUE(object->search_table().has_value());
  std::uint64_t word = 0;
  ASSERT_TRUE(object->read(64, &word, 8));  // the program headers, read from the file
  ASSERT_EQ(ftruncate(fd, 0), 0);           // as `cp` over a mapped library would
  EXPECT_FALSE(object->read(64, &word, 8));
  // The unwind tables are read on demand, not copied: gone with the file.
  // .eh_frame_hdr sits in the first segment, where file offset == vaddr.
  ASSERT_EQ(object->load_bias(0, 0), 0u);
  EXPECT_FALSE(object->read(object->search_table()->header_vaddr, &word, 8));
  // The code is scanned for signal returns at the first question: none now.
  EXPECT_FALSE(object->signal_return_at(0));
  ::close(fd);
}

TEST(UnwindObjectTest, UnwindTablesReadOnDemandAreTheFileBytesAtAnyOffsetAndSize) {
  int fd = ::open(EMBER_CFI_NOFP, O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  std::unique_ptr<UnwindObject> object;
  ASSERT_TRUE(UnwindObject::open(fd, EMBER_CFI_NOFP, object));
  ASSERT_TRUE(object->search_table().has_value());
  // .eh_frame_hdr sits in the first segment, where file offset == vaddr;
  // odd offsets and sizes cross the cache's blocks and evict each other.
  const std::uint64_t start = object->search_table()->header_vaddr;
  const std::uint64_t size = 12 + object->search_table()->entries * 8;
  std::vector<std::uint8_t> file(size), read(size);
  ASSERT_EQ(::pread(fd, file.data(), size, static_cast<off_t>(start)), static_cast<ssize_t>(size));
  for (int pass = 0; pass < 2; ++pass) {
    for (std::uint64_t at = 0; at < size; at += 7) {
      std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(pass ? 13 : 7, size - at));
      ASSERT_TRUE(object->read(start + at, read.data() + at, n)) << "at " << at;
    }
    EXPECT_EQ(read, file) << "pass " << pass;
  }
  ::close(fd);
}

// Whatever address libunwind's search of the whole .eh_frame_hdr table
// would find an entry for, the span search_span picks holds that entry;
// before the first entry, the first span (nothing found either way).
TEST(UnwindObjectTest, TheSearchSpanHoldsTheEntryTheWholeTableWouldFind) {
  Dl_info info;
  ASSERT_TRUE(dladdr(reinterpret_cast<void*>(&::getpid), &info));  // the C library
  auto object = open_object(info.dli_fname);
  ASSERT_TRUE(object && object->search_table()) << info.dli_fname;
  const UnwindObject::SearchTable& table = *object->search_table();
  ASSERT_GT(table.entries, 4 * UnwindObject::kSearchSpan) << "a table of several spans";
  // The table as loaded in this process: (start, FDE) pairs of datarel words.
  const auto* base = static_cast<const std::uint8_t*>(info.dli_fbase);
  std::vector<std::int32_t> starts(table.entries);
  for (std::uint64_t i = 0; i < table.entries; ++i) {
    std::memcpy(&starts[i], base + table.table_vaddr + i * 8, 4);
  }
  ASSERT_TRUE(std::is_sorted(starts.begin(), starts.end()));
  auto check = [&](std::int64_t relative) {
    const std::uint64_t vaddr = table.header_vaddr + relative;
    UnwindObject::SearchTable span = object->search_span(vaddr);
    EXPECT_EQ(span.header_vaddr, table.header_vaddr);
    auto after = std::upper_bound(starts.begin(), starts.end(), relative);
    const std::uint64_t found = after == starts.begin() ? 0 : after - starts.begin() - 1;
    const std::uint64_t first = (span.table_vaddr - table.table_vaddr) / 8;
    EXPECT_LE(first, found) << "at " << relative;
    EXPECT_LT(found, first + span.entries) << "at " << relative;
    EXPECT_LE(span.entries, UnwindObject::kSearchSpan);
  };
  check(starts.front() - 1);
  for (std::int32_t start : starts) {
    check(start);
    check(std::int64_t{start} + 1);
  }
  check(std::int64_t{starts.back()} + 4096);
}

// A minimal ELF file: one executable PT_LOAD over the whole file, no
// sections, with rt_sigreturn trampolines at `at`.
std::string elf_with_trampolines(const std::string& path, std::size_t size,
                                 const std::vector<std::size_t>& at) {
  std::vector<std::uint8_t> file(size, 0x90);
  Elf64_Ehdr ehdr{};
  std::memcpy(ehdr.e_ident, ELFMAG, SELFMAG);
  ehdr.e_ident[EI_CLASS] = ELFCLASS64;
  ehdr.e_ident[EI_DATA] = ELFDATA2LSB;
  ehdr.e_ident[EI_VERSION] = EV_CURRENT;
  ehdr.e_type = ET_DYN;
  ehdr.e_machine = EM_X86_64;
  ehdr.e_version = EV_CURRENT;
  ehdr.e_phoff = sizeof ehdr;
  ehdr.e_ehsize = sizeof ehdr;
  ehdr.e_phentsize = sizeof(Elf64_Phdr);
  ehdr.e_phnum = 1;
  Elf64_Phdr phdr{};
  phdr.p_type = PT_LOAD;
  phdr.p_flags = PF_R | PF_X;
  phdr.p_filesz = phdr.p_memsz = size;
  phdr.p_align = 4096;
  std::memcpy(file.data(), &ehdr, sizeof ehdr);
  std::memcpy(file.data() + sizeof ehdr, &phdr, sizeof phdr);
  static const std::uint8_t trampoline[] = {0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05};
  for (std::size_t offset : at) std::memcpy(file.data() + offset, trampoline, sizeof trampoline);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(::write(fd, file.data(), size), static_cast<ssize_t>(size));
  ::close(fd);
  return path;
}

TEST(UnwindObjectTest, SignalReturnsAreFoundAcrossTheScansPiecesUpToTheFilesEnd) {
  ember::test::ScratchDir dir("ember-unwind");
  // Pieces of the scan are 1 MiB: one trampoline across the first boundary,
  // one just after it, one ending the file.
  constexpr std::size_t kMiB = 1 << 20;
  const std::size_t size = 3 * kMiB + 100;
  const std::vector<std::size_t> at = {0x1000, kMiB - 4, kMiB + 16, 2 * kMiB + 7, size - 9};
  std::string path = elf_with_trampolines(dir.file("code"), size, at);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  std::unique_ptr<UnwindObject> object;
  Status status = UnwindObject::open(fd, path, object);
  ::close(fd);
  ASSERT_TRUE(status) << status.message();
  for (std::size_t offset : at) EXPECT_TRUE(object->signal_return_at(offset)) << offset;
  EXPECT_FALSE(object->signal_return_at(kMiB - 3));
  EXPECT_FALSE(object->signal_return_at(0x1001));
  EXPECT_FALSE(object->signal_return_at(size));
}

TEST(CfiScanTest, TruncatedSectionIsAnErrorNamingTheOffset) {
  // A CIE whose length runs past the end of the section.
  std::vector<std::uint8_t> section = {0x40, 0, 0, 0, 0, 0, 0, 0, 1, 'z', 'R', 0};
  FramePointerScan scan;
  Status status = scan_eh_frame(section, 0x1000, scan);
  ASSERT_FALSE(status);
  EXPECT_NE(status.message().find("offset 0"), std::string::npos) << status.message();
  EXPECT_EQ(scan.fdes, 0u);
}

TEST(SnapshotPolicyTest, CheapPathJudgeMovesAtTheStackThatTipsTheWindow) {
  // 1 in 20 of a 64-stack window: the 4th truncated stack tips it, at once.
  CheapPathJudge judge;
  std::vector<bool> verdicts;
  for (int i = 0; i < 12; ++i) verdicts.push_back(judge.truncated_too_often(i % 3 == 2));
  EXPECT_EQ(std::count(verdicts.begin(), verdicts.end(), true), 1);
  EXPECT_TRUE(verdicts[11]);  // truncated stacks 2, 5, 8 and 11
  EXPECT_EQ(judge.samples(), 12u);
  EXPECT_EQ(judge.truncated(), 4u);
}

TEST(SnapshotPolicyTest, CheapPathJudgeForgetsEachWindow) {
  // Three truncated stacks at the end of one window and one at the start
  // of the next are 1 in 20 of neither.
  CheapPathJudge judge;
  for (std::uint32_t i = 0; i < CheapPathJudge::kWindow; ++i) {
    EXPECT_FALSE(judge.truncated_too_often(i + 3 >= CheapPathJudge::kWindow)) << i;
  }
  EXPECT_FALSE(judge.truncated_too_often(true));
  EXPECT_EQ(judge.samples(), 1u);
  for (std::uint32_t i = 1; i < 3 * CheapPathJudge::kWindow; ++i) {
    EXPECT_FALSE(judge.truncated_too_often(false)) << i;
  }
}

TEST(SnapshotPolicyTest, RuntimeLibrariesDoNotForceTheFullSnapshot) {
  FramePointerScan with_fp, without_fp;
  with_fp.fdes = 10;
  with_fp.rbp_frames.resize(6);
  without_fp.fdes = 100;
  without_fp.rbp_frames.resize(2);

  std::vector<MappedCode> fp_program = {
      {"/usr/bin/app", &with_fp},
      {"/usr/lib/x86_64-linux-gnu/libc.so.6", &without_fp},
      {"/usr/lib/x86_64-linux-gnu/libstdc++.so.6", &without_fp},
      {"/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", &without_fp}};
  EXPECT_FALSE(needs_full_snapshot(SnapshotMode::automatic, fp_program));
  EXPECT_TRUE(needs_full_snapshot(SnapshotMode::always, fp_program));

  std::vector<MappedCode> nofp_library = fp_program;
  nofp_library.push_back({"/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0", &without_fp});
  EXPECT_TRUE(needs_full_snapshot(SnapshotMode::automatic, nofp_library));
  EXPECT_FALSE(needs_full_snapshot(SnapshotMode::never, nofp_library));

  std::vector<MappedCode> unknown = {{"/usr/bin/app", nullptr}};
  EXPECT_FALSE(needs_full_snapshot(SnapshotMode::automatic, unknown));

  EXPECT_TRUE(is_runtime_library("/lib/x86_64-linux-gnu/libc-2.31.so"));
  EXPECT_FALSE(is_runtime_library("/usr/lib/libcrypto.so.3"));
  EXPECT_FALSE(is_runtime_library("/usr/lib/libc_malloc_debug.so.0"));

  SnapshotMode mode;
  Status bad = parse_snapshot_mode("sometimes", mode);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.message().find("\"auto\""), std::string::npos);
}

// An unwinder of this process over its mappings as they are now (so after
// any dlopen of the test), `host` answering as the plugins' host.
std::unique_ptr<DwarfUnwinder> unwinder_of_this_process(ember::testkit::FakeHost& host) {
  auto pid = static_cast<std::uint32_t>(getpid());
  std::vector<Mapping> maps;
  EXPECT_TRUE(read_proc_maps(pid, maps));
  auto unwinder =
      std::make_unique<DwarfUnwinder>(pid, "", std::make_shared<UnwindObjectCache>(host), host);
  unwinder->set_maps(maps);
  return unwinder;
}

// The first `ret` in the first `limit` bytes of `code`; only one right after
// `pop %rbp` when `after_pop_rbp`.
const std::uint8_t* first_ret(const void* code, int limit, bool after_pop_rbp) {
  auto bytes = static_cast<const std::uint8_t*>(code);
  for (int i = after_pop_rbp ? 1 : 0; i < limit; ++i) {
    if (bytes[i] == 0xc3 && (!after_pop_rbp || bytes[i - 1] == 0x5d)) return bytes + i;
  }
  return nullptr;
}

class DwarfUnwinderTest : public ::testing::Test {
 protected:
  void SetUp() override { unwinder_ = unwinder_of_this_process(host_); }

  ember::testkit::FakeHost host_;
  std::unique_ptr<DwarfUnwinder> unwinder_;
};

TEST_F(DwarfUnwinderTest, UnwindsCodeWithoutFramePointersFromTheSnapshot) {
  auto sample = std::make_unique<ember_sample>();
  ember_test::ChainTruth truth;
  ember_test::capture_chain(*sample, 16384, truth);
  std::vector<UnwoundFrame> frames;
  UnwindEnd end = unwinder_->unwind(*sample, 512, frames);
  ASSERT_GE(frames.size(), 4u) << "unwind ended " << static_cast<int>(end);
  EXPECT_EQ(frames[0].ip, sample->user_ip);
  EXPECT_EQ(frames[1].ip, truth.into_middle);
  EXPECT_EQ(frames[2].ip, truth.into_outer);
  EXPECT_EQ(frames[3].ip, truth.into_caller);
  for (std::size_t i = 1; i < frames.size(); ++i) EXPECT_GT(frames[i].sp, frames[i - 1].sp);
}

TEST_F(DwarfUnwinderTest, StopsAtTheSnapshotsEdgeWithTheFramesItReached) {
  auto sample = std::make_unique<ember_sample>();
  ember_test::ChainTruth truth;
  ember_test::capture_chain(*sample, 16384, truth);
  std::vector<UnwoundFrame> frames;
  unwinder_->unwind(*sample, 512, frames);
  ASSERT_GE(frames.size(), 3u);
  // Cut the copy just below middle's return address: inner unwinds, middle can't.
  std::uint64_t cut = frames[2].sp - sample->user_sp - 8;
  sample->snapshot_size = static_cast<std::uint32_t>(cut);
  std::vector<UnwoundFrame> short_frames;
  EXPECT_EQ(unwinder_->unwind(*sample, 512, short_frames), UnwindEnd::failed);
  ASSERT_EQ(short_frames.size(), 2u);
  EXPECT_EQ(short_frames[1].ip, truth.into_middle);
}

TEST_F(DwarfUnwinderTest, SameStackReplaysOnlyWhileEveryWordReadIsTheSame) {
  auto sample = std::make_unique<ember_sample>();
  ember_test::ChainTruth truth;
  ember_test::capture_chain(*sample, 16384, truth);
  std::vector<UnwoundFrame> first, again, changed;
  unwinder_->unwind(*sample, 512, first);
  ASSERT_GE(first.size(), 4u);
  EXPECT_EQ(unwinder_->memo_entries(), 1u);
  unwinder_->unwind(*sample, 512, again);
  ASSERT_EQ(again.size(), first.size());
  for (std::size_t i = 0; i < first.size(); ++i) EXPECT_EQ(again[i].ip, first[i].ip) << i;
  // middle's return address, just below its caller's sp (the CFA): now garbage.
  std::uint64_t slot = first[2].sp - 8 - sample->user_sp;
  std::uint64_t word = 0;
  std::memcpy(&word, sample->stack_snapshot + slot, 8);
  ASSERT_EQ(word, truth.into_outer);
  std::uint64_t garbage = 0x10;
  std::memcpy(sample->stack_snapshot + slot, &garbage, 8);
  unwinder_->unwind(*sample, 512, changed);
  ASSERT_GE(changed.size(), 2u);
  EXPECT_EQ(changed[1].ip, truth.into_middle);
  // What libunwind makes of the garbage varies; a replay would show outer.
  EXPECT_TRUE(changed.size() == 2 || changed[2].ip != truth.into_outer)
      << "replayed a stack whose words changed";
}

TEST_F(DwarfUnwinderTest, AStoppedUnwindIsNotReplayedForACallerThatGoesOn) {
  auto sample = std::make_unique<ember_sample>();
  ember_test::ChainTruth truth;
  ember_test::capture_chain(*sample, 16384, truth);
  std::vector<UnwoundFrame> frames;
  auto at_two = [](const std::vector<UnwoundFrame>& so_far) { return so_far.size() == 2; };
  EXPECT_EQ(unwinder_->unwind(*sample, 512, frames, at_two), UnwindEnd::stopped);
  EXPECT_EQ(frames.size(), 2u);
  EXPECT_EQ(unwinder_->unwind(*sample, 512, frames, at_two), UnwindEnd::stopped);
  EXPECT_EQ(frames.size(), 2u);
  unwinder_->unwind(*sample, 512, frames);
  ASSERT_GE(frames.size(), 4u);
  EXPECT_EQ(frames[3].ip, truth.into_caller);
}


// A process with a JIT: code in [start, end) without CFI, whose frames are
// `frame_size` bytes of locals below the return address.
class JitHost : public ember::testkit::FakeHost {
 public:
  bool unwind_rule(std::uint32_t, std::uint64_t pc, UnwindRule& rule) override {
    if (pc < start || pc >= end) return false;
    rule = {UnwindRule::CfaBase::sp, static_cast<std::int32_t>(frame_size + 8), -8, false, 0};
    return true;
  }
  std::uint64_t start = 0, end = 0, frame_size = 16;
};

// A real stack (capture_chain) under a synthetic frame of `frame_size`
// bytes: the code at `pc`, called from inner's code at its sampled IP.
std::unique_ptr<ember_sample> under_a_frame(const ember_sample& real, std::uint64_t pc,
                                            std::uint64_t frame_size) {
  auto sample = std::make_unique<ember_sample>(real);
  std::uint64_t below = frame_size + 8;
  sample->user_ip = pc;
  sample->user_sp = real.user_sp - below;
  std::memset(sample->stack_snapshot, 0x11, frame_size);  // locals, not addresses
  std::memcpy(sample->stack_snapshot + frame_size, &real.user_ip, 8);
  std::uint64_t kept = std::min<std::uint64_t>(real.snapshot_size, EMBER_MAX_STACK_SNAPSHOT - below);
  std::memcpy(sample->stack_snapshot + below, real.stack_snapshot, kept);
  sample->snapshot_size = static_cast<std::uint32_t>(kept + below);
  return sample;
}

TEST(DwarfUnwinderReturnTest, AFrameSampledOnItsRetKeepsItsCallersFramePointer) {
  // cfi_work built with frame pointers ends `pop %rbp; ret`, and its CFI at
  // the ret still has rbp saved at CFA-16: below sp, outside any snapshot.
  void* library = dlopen(EMBER_CFI_FP, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(library, nullptr) << dlerror();
  void* code = dlsym(library, "cfi_work");
  ASSERT_NE(code, nullptr);
  const std::uint8_t* ret = first_ret(code, 256, true);
  ASSERT_NE(ret, nullptr) << "no pop %rbp; ret in cfi_work";

  ember::testkit::FakeHost host;
  auto unwinder = unwinder_of_this_process(host);
  auto real = std::make_unique<ember_sample>();
  ember_test::ChainTruth truth;
  ember_test::capture_chain(*real, 16384, truth);
  auto sample = under_a_frame(*real, reinterpret_cast<std::uint64_t>(ret), 0);

  std::vector<UnwoundFrame> frames;
  unwinder->unwind(*sample, 512, frames);
  ASSERT_GE(frames.size(), 5u);
  EXPECT_EQ(frames[1].ip, real->user_ip);
  EXPECT_EQ(frames[1].sp, real->user_sp);
  EXPECT_TRUE(frames[1].bp_known);
  EXPECT_EQ(frames[1].bp, real->user_bp);
  EXPECT_EQ(frames[2].ip, truth.into_middle);
  EXPECT_EQ(frames[4].ip, truth.into_caller);
  dlclose(library);
}

TEST(DwarfUnwinderRuleTest, StepsOverCodeWithoutCfiOnlyByItsOwnersRule) {
  void* code = mmap(nullptr, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(code, MAP_FAILED);
  JitHost host;
  auto unwinder = unwinder_of_this_process(host);

  auto real = std::make_unique<ember_sample>();
  ember_test::ChainTruth truth;
  ember_test::capture_chain(*real, 16384, truth);
  std::uint64_t jit_pc = reinterpret_cast<std::uint64_t>(code) + 0x40;
  auto sample = under_a_frame(*real, jit_pc, host.frame_size);

  // No plugin owns the code: libunwind's own guess misses inner's frame.
  std::vector<UnwoundFrame> frames;
  unwinder->unwind(*sample, 512, frames);
  ASSERT_GE(frames.size(), 1u);
  EXPECT_EQ(frames[0].ip, jit_pc);
  EXPECT_TRUE(frames.size() < 2 || frames[1].ip != real->user_ip);

  host.start = reinterpret_cast<std::uint64_t>(code);
  host.end = host.start + 4096;
  std::vector<Mapping> maps;
  ASSERT_TRUE(read_proc_maps(static_cast<std::uint32_t>(getpid()), maps));
  unwinder->set_maps(maps);  // forgets the replay of the unwind above
  unwinder->unwind(*sample, 512, frames);
  ASSERT_GE(frames.size(), 5u);
  EXPECT_EQ(frames[0].ip, jit_pc);
  EXPECT_EQ(frames[1].ip, real->user_ip);
  EXPECT_EQ(frames[1].sp, real->user_sp);
  EXPECT_EQ(frames[2].ip, truth.into_middle);
  EXPECT_EQ(frames[3].ip, truth.into_outer);
  EXPECT_EQ(frames[4].ip, truth.into_caller);
  munmap(code, 4096);
}

}  // namespace
}  // namespace ember::native

// A signal return trampoline without CFI, as the Go runtime's
// runtime.sigreturn: rt_sigreturn, `mov $15, %rax; syscall`. Never called.
extern "C" void ember_test_signal_return();
asm(".pushsection .text\n"
    ".globl ember_test_signal_return\n"
    "ember_test_signal_return:\n"
    "  movq $15, %rax\n"
    "  syscall\n"
    ".popsection\n");

namespace ember::native {
namespace {

// A real stack (capture_chain) interrupted by a signal whose handler has
// just returned to the trampoline: sp at the kernel's ucontext, which holds
// the interrupted registers, the real stack above it.
std::unique_ptr<ember_sample> at_signal_return(const ember_sample& real) {
  auto sample = std::make_unique<ember_sample>(real);
  ucontext_t context{};
  context.uc_mcontext.gregs[REG_RIP] = static_cast<greg_t>(real.user_ip);
  context.uc_mcontext.gregs[REG_RSP] = static_cast<greg_t>(real.user_sp);
  context.uc_mcontext.gregs[REG_RBP] = static_cast<greg_t>(real.user_bp);
  context.uc_mcontext.gregs[REG_RBX] = static_cast<greg_t>(real.user_bx);
  std::uint64_t below = (sizeof context + 15) & ~std::uint64_t{15};
  sample->user_ip = reinterpret_cast<std::uint64_t>(&ember_test_signal_return);
  sample->user_sp = real.user_sp - below;
  sample->user_bp = 0x11;  // the handler's, gone
  sample->user_bx = 0x13;
  std::memset(sample->stack_snapshot, 0, below);
  std::memcpy(sample->stack_snapshot, &context, sizeof context);
  std::uint64_t kept = std::min<std::uint64_t>(real.snapshot_size, EMBER_MAX_STACK_SNAPSHOT - below);
  std::memcpy(sample->stack_snapshot + below, real.stack_snapshot, kept);
  sample->snapshot_size = static_cast<std::uint32_t>(kept + below);
  return sample;
}

TEST_F(DwarfUnwinderTest, ASignalFrameGoesOnWithTheInterruptedCode) {
  auto real = std::make_unique<ember_sample>();
  ember_test::ChainTruth truth;
  ember_test::capture_chain(*real, 16384, truth);
  auto sample = at_signal_return(*real);
  EXPECT_TRUE(unwinder_->is_signal_return(sample->user_ip));
  EXPECT_FALSE(unwinder_->is_signal_return(real->user_ip));

  std::vector<UnwoundFrame> frames;
  unwinder_->unwind(*sample, 512, frames);
  ASSERT_GE(frames.size(), 5u);
  EXPECT_EQ(frames[0].ip, sample->user_ip);
  // The interrupted code at its exact ip, with its registers.
  EXPECT_EQ(frames[1].ip, real->user_ip);
  EXPECT_TRUE(frames[1].exact);
  EXPECT_EQ(frames[1].sp, real->user_sp);
  EXPECT_EQ(frames[2].ip, truth.into_middle);
  EXPECT_FALSE(frames[2].exact);
  EXPECT_EQ(frames[3].ip, truth.into_outer);
  EXPECT_EQ(frames[4].ip, truth.into_caller);
}

// Code that keeps its CFA in rbx (glibc's _dl_runtime_resolve_xsavec) is
// unwound through with the sampled rbx, or the one a signal frame saved, or
// the one a frame stepped over here left.
TEST_F(DwarfUnwinderTest, AFrameWhoseCfaIsInRbxUnwindsToItsCallers) {
  auto sample = std::make_unique<ember_sample>();
  ember_test::RbxChainTruth truth;
  ember_test::capture_rbx_chain(*sample, 16384, truth);
  std::vector<UnwoundFrame> frames;
  UnwindEnd end = unwinder_->unwind(*sample, 512, frames);
  ASSERT_GE(frames.size(), 3u) << "unwind ended " << static_cast<int>(end);
  EXPECT_EQ(frames[0].ip, sample->user_ip);
  EXPECT_EQ(frames[1].ip, truth.into_caller);
  EXPECT_EQ(frames[2].ip, truth.into_test);
}

TEST_F(DwarfUnwinderTest, AStackThatReadRbxReplaysOnlyForTheSameRbx) {
  auto sample = std::make_unique<ember_sample>();
  ember_test::RbxChainTruth truth;
  ember_test::capture_rbx_chain(*sample, 16384, truth);
  std::vector<UnwoundFrame> first, other;
  unwinder_->unwind(*sample, 512, first);
  ASSERT_GE(first.size(), 3u);
  ASSERT_EQ(unwinder_->memo_entries(), 1u);
  // Every stack word the same, rbx below the snapshot: no CFA to step to.
  sample->user_bx = sample->user_sp - 4096;
  unwinder_->unwind(*sample, 512, other);
  EXPECT_EQ(other.size(), 1u) << "replayed a stack whose rbx changed";
}

TEST_F(DwarfUnwinderTest, RbxComesFromTheSignalFrame) {
  auto real = std::make_unique<ember_sample>();
  ember_test::RbxChainTruth truth;
  ember_test::capture_rbx_chain(*real, 16384, truth);
  auto sample = at_signal_return(*real);
  std::vector<UnwoundFrame> frames;
  unwinder_->unwind(*sample, 512, frames);
  ASSERT_GE(frames.size(), 4u);
  EXPECT_EQ(frames[1].ip, real->user_ip);
  EXPECT_EQ(frames[2].ip, truth.into_caller);
  EXPECT_EQ(frames[3].ip, truth.into_test);
}

TEST(DwarfUnwinderReturnTest, RbxIsKeptOverAFrameSampledOnItsRet) {
  void* library = dlopen(EMBER_CFI_FP, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(library, nullptr) << dlerror();
  void* code = dlsym(library, "cfi_leaf");
  ASSERT_NE(code, nullptr);
  const std::uint8_t* ret = first_ret(code, 64, false);
  ASSERT_NE(ret, nullptr) << "no ret in cfi_leaf";

  ember::testkit::FakeHost host;
  auto unwinder = unwinder_of_this_process(host);
  auto real = std::make_unique<ember_sample>();
  ember_test::RbxChainTruth truth;
  ember_test::capture_rbx_chain(*real, 16384, truth);
  auto sample = under_a_frame(*real, reinterpret_cast<std::uint64_t>(ret), 0);

  std::vector<UnwoundFrame> frames;
  unwinder->unwind(*sample, 512, frames);
  ASSERT_GE(frames.size(), 4u);
  EXPECT_EQ(frames[1].ip, real->user_ip);
  EXPECT_EQ(frames[2].ip, truth.into_caller);
  EXPECT_EQ(frames[3].ip, truth.into_test);
  dlclose(library);
}

// A CIE (version 1, code alignment 1, data alignment -8, the return
// address in r16, absolute 8-byte FDE addresses) and an FDE for
// [0x1000, 0x1100) with `fde_instructions`, as evaluate_cfi takes them.
struct SyntheticCfi {
  std::vector<std::uint8_t> cie, fde;
};
SyntheticCfi synthetic_cfi(const std::string& augmentation,
                           const std::vector<std::uint8_t>& fde_instructions) {
  SyntheticCfi out;
  auto add = [](std::vector<std::uint8_t>& to, std::initializer_list<int> bytes) {
    for (int byte : bytes) to.push_back(static_cast<std::uint8_t>(byte));
  };
  add(out.cie, {0, 0, 0, 0, 1});  // CIE id, version
  for (char c : augmentation) out.cie.push_back(static_cast<std::uint8_t>(c));
  add(out.cie, {0, 1, 0x78, 16, 1, 0x00});  // "\0", 1, -8, r16, aug data: absptr
  add(out.cie, {0x0c, 7, 8, 0x90, 1});      // def_cfa rsp+8; r16 at cfa-8
  add(out.fde, {4, 0, 0, 0});               // the CIE pointer (not followed here)
  for (std::uint64_t value : {std::uint64_t{0x1000}, std::uint64_t{0x100}}) {
    for (int i = 0; i < 8; ++i) out.fde.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
  }
  out.fde.push_back(0);  // augmentation data: none
  for (std::uint8_t byte : fde_instructions) out.fde.push_back(byte);
  return out;
}

TEST(CfiRuleTest, TheRowAtEachPcAndTheFormsLeftToLibunwind) {
  // push rbp (1 byte); mov rbp, rsp (3 bytes): the usual prologue.
  SyntheticCfi prologue = synthetic_cfi("zR", {0x41, 0x0e, 16, 0x86, 2, 0x43, 0x0d, 6});
  CfiRule rule;
  auto at = [&](const SyntheticCfi& cfi, std::uint64_t pc) {
    rule = CfiRule{};
    return evaluate_cfi(cfi.cie, cfi.fde, 0x500, pc, rule);
  };
  ASSERT_EQ(at(prologue, 0x1000), CfiLookup::found);
  EXPECT_EQ(rule.cfa_base, CfiRule::Base::sp);
  EXPECT_EQ(rule.cfa_offset, 8);
  EXPECT_EQ(rule.return_address_offset, -8);
  EXPECT_EQ(rule.bp, CfiRule::Saved::same);
  for (std::uint64_t pc : {0x1001, 0x1003}) {
    ASSERT_EQ(at(prologue, pc), CfiLookup::found) << pc;
    EXPECT_EQ(rule.cfa_base, CfiRule::Base::sp) << pc;
    EXPECT_EQ(rule.cfa_offset, 16) << pc;
    EXPECT_EQ(rule.bp, CfiRule::Saved::at_offset) << pc;
    EXPECT_EQ(rule.bp_offset, -16) << pc;
  }
  ASSERT_EQ(at(prologue, 0x10ff), CfiLookup::found);
  EXPECT_EQ(rule.cfa_base, CfiRule::Base::bp);
  EXPECT_EQ(rule.cfa_offset, 16);
  EXPECT_EQ(at(prologue, 0x0fff), CfiLookup::no_fde);
  EXPECT_EQ(at(prologue, 0x1100), CfiLookup::no_fde);

  // An epilogue inside the function: remember_state, leave, restore_state
  // brings the CFA back to rbp+16 for the code after it.
  SyntheticCfi epilogue = synthetic_cfi(
      "zR", {0x41, 0x0e, 16, 0x86, 2, 0x43, 0x0d, 6, 0x44, 0x0a, 0xc6, 0x0c, 7, 8, 0x41, 0x0b});
  ASSERT_EQ(at(epilogue, 0x1008), CfiLookup::found);
  EXPECT_EQ(rule.cfa_base, CfiRule::Base::sp);
  EXPECT_EQ(rule.cfa_offset, 8);
  EXPECT_EQ(rule.bp, CfiRule::Saved::same);
  ASSERT_EQ(at(epilogue, 0x1009), CfiLookup::found);
  EXPECT_EQ(rule.cfa_base, CfiRule::Base::bp);
  EXPECT_EQ(rule.cfa_offset, 16);
  EXPECT_EQ(rule.bp, CfiRule::Saved::at_offset);

  // The outermost frame says its return address is undefined.
  ASSERT_EQ(at(synthetic_cfi("zR", {0x07, 16}), 0x1000), CfiLookup::found);
  EXPECT_TRUE(rule.return_address_undefined);
  // Left to libunwind: a CFA computed by an expression, a signal frame's
  // CIE, rbp kept in another register, an unknown instruction.
  EXPECT_EQ(at(synthetic_cfi("zR", {0x0f, 2, 0x77, 8}), 0x1000), CfiLookup::unsupported);
  EXPECT_EQ(at(synthetic_cfi("zRS", {}), 0x1000), CfiLookup::unsupported);
  EXPECT_EQ(at(synthetic_cfi("zR", {0x09, 6, 3}), 0x1000), CfiLookup::unsupported);
  EXPECT_EQ(at(synthetic_cfi("zR", {0x1c}), 0x1000), CfiLookup::unsupported);
  // Rules of registers the step does not use change nothing.
  ASSERT_EQ(at(synthetic_cfi("zR", {0x09, 12, 13, 0x8c, 3}), 0x1000), CfiLookup::found);
  EXPECT_EQ(rule.cfa_offset, 8);
}

// Every FDE's first address in `object` (link-time), from its
// .eh_frame_hdr table, in order.
std::vector<std::uint64_t> fde_starts(const UnwindObject& object) {
  std::vector<std::uint64_t> starts;
  const auto& table = object.search_table();
  if (!table) return starts;
  std::vector<std::int32_t> entries(table->entries * 2);
  if (!object.read_vaddr(table->table_vaddr, entries.data(), entries.size() * 4)) return starts;
  for (std::size_t i = 0; i < table->entries; ++i) {
    starts.push_back(table->header_vaddr +
                     static_cast<std::uint64_t>(std::int64_t{entries[2 * i]}));
  }
  return starts;
}

// The caller ember's own CFI stepping finds is libunwind's, at pcs spread
// over every function of libc and of this program: a stack of words that
// each tell where they were read from, so a wrong offset shows.
TEST(DwarfUnwinderCfiTest, OwnStepsFindLibunwindsCallerInEveryFunctionOfLibcAndThisProgram) {
  ember::testkit::FakeHost host;
  auto own = unwinder_of_this_process(host);
  auto libunwind_only = unwinder_of_this_process(host);
  libunwind_only->set_own_cfi(false);
  auto sample = std::make_unique<ember_sample>();
  sample->flags = EMBER_SAMPLE_HAS_SNAPSHOT;
  sample->snapshot_size = 16384;
  sample->user_sp = 0x7ff000000000;
  sample->user_bp = sample->user_sp + 4096;
  sample->user_bx = 0x5200000000000000;
  for (std::uint64_t offset = 0; offset < sample->snapshot_size; offset += 8) {
    std::uint64_t word = 0x5100000000000000 | offset;
    std::memcpy(sample->stack_snapshot + offset, &word, 8);
  }
  std::vector<Mapping> maps;
  ASSERT_TRUE(read_proc_maps(static_cast<std::uint32_t>(getpid()), maps));
  const std::string self =
      "/" + std::filesystem::read_symlink("/proc/self/exe").filename().string();
  for (const std::string& wanted : {std::string("/libc.so.6"), self}) {
    const Mapping* code = nullptr;
    for (const Mapping& m : maps) {
      if (m.executable && m.path.ends_with(wanted)) code = &m;
    }
    ASSERT_TRUE(code) << wanted;
    std::uint64_t bias = 0;
    const UnwindObject* object = own->object_at(code->start, &bias);
    ASSERT_TRUE(object) << wanted;
    std::vector<std::uint64_t> starts = fde_starts(*object);
    ASSERT_GT(starts.size(), 100u) << wanted;
    std::size_t pcs = 0, stepped_here = 0, without_fde = 0, compared = 0;
    std::vector<std::string> differences;
    std::vector<UnwoundFrame> mine, theirs;
    for (std::size_t i = 0; i + 1 < starts.size(); ++i) {
      std::uint64_t length = std::min<std::uint64_t>(starts[i + 1] - starts[i], 4096);
      for (std::uint64_t part = 0; part < 8 && part < length; ++part) {
        std::uint64_t vaddr = starts[i] + length * part / 8;
        ++pcs;
        CfiRule rule;
        CfiLookup lookup = cfi_rule_at(*object, vaddr, rule);
        stepped_here += lookup == CfiLookup::found;
        without_fde += lookup == CfiLookup::no_fde;
        sample->user_ip = vaddr + bias;
        UnwindEnd mine_end = own->unwind(*sample, 2, mine);
        UnwindEnd their_end = libunwind_only->unwind(*sample, 2, theirs);
        bool same = mine.size() == theirs.size() && (mine.size() < 2 || their_end == mine_end);
        if (same && mine.size() == 2) {
          ++compared;
          same = mine[1].ip == theirs[1].ip && mine[1].sp == theirs[1].sp &&
                 mine[1].bp_known == theirs[1].bp_known && mine[1].bp == theirs[1].bp;
        }
        if (!same && differences.size() < 10) {
          auto frame = [](const std::vector<UnwoundFrame>& f) {
            return f.size() < 2
                       ? std::string("(no caller)")
                       : "ip " + hex(f[1].ip) + " sp " + hex(f[1].sp) + " bp " + hex(f[1].bp);
          };
          differences.push_back(wanted + "+" + hex(vaddr) + ": ember " + frame(mine) +
                                ", libunwind " + frame(theirs));
        }
      }
    }
    std::printf(
        "%s: %zu pcs (%zu in no FDE), %zu stepped by ember's own rule, %zu callers "
        "compared\n",
        wanted.c_str(), pcs, without_fde, stepped_here, compared);
    EXPECT_TRUE(differences.empty()) << ::testing::PrintToString(differences);
    EXPECT_GT(stepped_here * 100, (pcs - without_fde) * 95)
        << wanted << ": most rules are of the common forms";
    EXPECT_GT(compared * 2, pcs) << wanted;
  }
}

}  // namespace
}  // namespace ember::native

// The native handler against real, running fixture processes.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include "fixture_process.hpp"
#include "frame_names.hpp"
#include "mapped_file.hpp"
#include "scratch_dir.hpp"
#include "native_plugin.hpp"
#include "ember/testing/fake_host.hpp"

namespace ember::native {
namespace {

using ember::test::ScratchDir;

namespace fs = std::filesystem;
using ember_test::FixtureProcess;
using ember_test::fixture_path;
using ember_test::nm_symbol;

// The user stack named by the native role alone, as the host does for
// addresses no other plugin claims: unwound, then each address named.
void name_user_stack(ProcessHandler& handler, const ember_sample& sample,
                     std::vector<FrameHandle>& leaf_first) {
  NativeStack stack;
  handler.unwind_user(sample, stack);
  for (const NativeFrame& frame : stack.leaf_first) handler.symbolize_native(frame.pc, leaf_first);
}

// One plugin and host per test, and handlers attached like the host does.
class NativeHandlerTest : public ::testing::Test {
 public:
  void configure(Options options = {}) {
    plugin_ = std::make_unique<NativePlugin>();
    Status status = plugin_->configure(options, host_);
    ASSERT_TRUE(status.is_ok()) << status.message();
  }
  void SetUp() override { configure({{"maps_refresh_interval_ms", {std::int64_t{0}, ""}}}); }

  std::unique_ptr<ProcessHandler> attach(const FixtureProcess& process) {
    std::vector<Mapping> maps;
    Status status = read_proc_maps(process.pid(), maps);
    EXPECT_TRUE(status.is_ok()) << status.message();
    std::string root = host_.process_root(process.pid());
    auto handler = plugin_->attach(ProcessRef{process.pid(), root, "", &maps}, nullptr);
    EXPECT_NE(handler, nullptr);
    return handler;
  }

  // Frames of a sample whose user stack is `addresses`, leaf first.
  static std::vector<FrameHandle> unwind(ProcessHandler& handler,
                                         const std::vector<std::uint64_t>& addresses) {
    auto sample = std::make_unique<ember_sample>();
    sample->user_frame_count = static_cast<std::uint32_t>(addresses.size());
    for (std::size_t i = 0; i < addresses.size(); ++i) sample->user_frames[i] = addresses[i];
    std::vector<FrameHandle> frames;
    name_user_stack(handler, *sample, frames);
    EXPECT_EQ(frames.size(), addresses.size());
    return frames;
  }

  static std::string name_of(ProcessHandler& handler, std::uint64_t address) {
    return unwind(handler, {address})[0]->name;
  }

  ember::testkit::FakeHost host_;
  std::unique_ptr<NativePlugin> plugin_;
};

void expect_fixture_names(ProcessHandler& handler, const FixtureProcess& process,
                          const std::string& exe_module) {
  // Index 0 is an exact IP; the rest are return addresses (one past the call).
  auto frames = NativeHandlerTest::unwind(
      handler, {process.address("compute_int"), process.address("spin") + 1,
                process.address("c_function") + 2, process.address("lib_function") + 1,
                process.address("lib_static") + 1, process.address("asm_nosize") + 6,
                process.address("compute_long") + 1});
  ASSERT_EQ(frames.size(), 7u);
  EXPECT_EQ(frames[0]->name, "ember_fixture::Outer<int>::compute(int)");
  EXPECT_EQ(frames[1]->name, "ember_fixture::inner::spin(int)");
  EXPECT_EQ(frames[2]->name, "ember_fixture_c_function");
  EXPECT_EQ(frames[3]->name, "ember_fixture_lib_function");
  EXPECT_EQ(frames[4]->name, "ember_fixture_lib_static");
  EXPECT_EQ(frames[5]->name, "ember_fixture_asm_nosize");
  EXPECT_EQ(frames[6]->name, "ember_fixture::Outer<long>::compute(long)");
  EXPECT_EQ(frames[0]->module, exe_module);
  EXPECT_EQ(frames[3]->module, "libember_fixture_lib.so");
  EXPECT_EQ(frames[4]->module, "libember_fixture_lib.so");
  for (const auto& frame : frames) EXPECT_EQ(frame->kind, frame_kind::native);
}

TEST_F(NativeHandlerTest, PieExecutableAndSharedLibrary) {
  FixtureProcess process(fixture_path("ember_fixture_pie"));
  auto handler = attach(process);
  expect_fixture_names(*handler, process, "ember_fixture_pie");
}

TEST_F(NativeHandlerTest, NonPieExecutable) {
  FixtureProcess process(fixture_path("ember_fixture_nopie"));
  // Loaded where it was linked: the runtime address is the nm address.
  EXPECT_EQ(process.address("c_function"),
            nm_symbol("ember_fixture_nopie", "ember_fixture_c_function").address);
  auto handler = attach(process);
  expect_fixture_names(*handler, process, "ember_fixture_nopie");
}

TEST_F(NativeHandlerTest, ReturnAddressAtTheEndOfAFunctionNamesTheCaller) {
  FixtureProcess process(fixture_path("ember_fixture_pie"));
  auto handler = attach(process);
  auto compute = nm_symbol("ember_fixture_pie", "_ZN13ember_fixture5OuterIiE7computeEi");
  std::uint64_t end = process.address("compute_int") + compute.size;  // first byte after it
  auto frames = unwind(*handler, {end, end});
  EXPECT_NE(frames[0]->name, "ember_fixture::Outer<int>::compute(int)") << "exact IP: next function";
  EXPECT_EQ(frames[1]->name, "ember_fixture::Outer<int>::compute(int)") << "return address";
}

TEST_F(NativeHandlerTest, WalkGarbageEndsTheStack) {
  FixtureProcess process(fixture_path("ember_fixture_pie"));
  auto handler = attach(process);
  auto sample = std::make_unique<ember_sample>();
  // A frame-pointer walk that left the chain: a zero, then kernel-half junk.
  std::uint64_t addresses[] = {process.address("compute_int"), process.address("spin") + 1, 0,
                               0x900002b191e90788ull};
  sample->user_frame_count = 4;
  std::copy(std::begin(addresses), std::end(addresses), sample->user_frames);
  std::vector<FrameHandle> frames;
  name_user_stack(*handler, *sample, frames);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[1]->name, "ember_fixture::inner::spin(int)");
}

TEST_F(NativeHandlerTest, StrippedExecutableFallsBackToModuleAndFileAddress) {
  FixtureProcess process(fixture_path("ember_fixture_pie_stripped"));
  auto handler = attach(process);
  auto compute = nm_symbol("ember_fixture_pie", "_ZN13ember_fixture5OuterIiE7computeEi");
  auto frames = unwind(*handler, {process.address("compute_int") + 2,
                                  process.address("lib_function") + 1});
  // The address addr2line -e ember_fixture_pie would take.
  EXPECT_EQ(frames[0]->name, "ember_fixture_pie_stripped+" + hex(compute.address + 2));
  EXPECT_EQ(frames[0]->module, "ember_fixture_pie_stripped");
  EXPECT_EQ(frames[1]->name, "ember_fixture_lib_function") << "the library is not stripped";
}

TEST_F(NativeHandlerTest, DeletedExecutableIsReadThroughMapFiles) {
  ScratchDir dir;
  fs::path copy = dir.path() / "ember_fixture_deleted";
  fs::copy_file(fixture_path("ember_fixture_pie"), copy);
  FixtureProcess process(copy.string());
  ASSERT_EQ(unlink(copy.c_str()), 0);
  std::vector<Mapping> maps;
  ASSERT_TRUE(read_proc_maps(process.pid(), maps).is_ok());
  const Mapping* code = find_mapping(maps, process.address("compute_int"));
  ASSERT_NE(code, nullptr);
  ASSERT_TRUE(code->deleted);
  auto handler = attach(process);
  expect_fixture_names(*handler, process, "ember_fixture_deleted");
}

TEST_F(NativeHandlerTest, ReplacedExecutableIsReadThroughMapFiles) {
  // The process' root (as in a container) holds another binary at the path
  // the process mapped: the inode differs, so the mapped file is read instead.
  FixtureProcess process(fixture_path("ember_fixture_pie"));
  ScratchDir root;
  fs::path inside = root.path() / fs::path(fixture_path("ember_fixture_pie")).relative_path();
  fs::create_directories(inside.parent_path());
  fs::copy_file(fixture_path("ember_fixture_nopie"), inside);
  std::vector<Mapping> maps;
  ASSERT_TRUE(read_proc_maps(process.pid(), maps).is_ok());
  auto handler = plugin_->attach(ProcessRef{process.pid(), root.path().string(), "", &maps}, nullptr);
  ASSERT_NE(handler, nullptr);
  expect_fixture_names(*handler, process, "ember_fixture_pie");
}

TEST(MappedFile, OpensThroughTheProcessRootWhenTheInodeMatches) {
  FixtureProcess process(fixture_path("ember_fixture_pie"));
  std::vector<Mapping> maps;
  ASSERT_TRUE(read_proc_maps(process.pid(), maps).is_ok());
  const Mapping* code = find_mapping(maps, process.address("compute_int"));
  ASSERT_NE(code, nullptr);
  // A root (next to the fixtures, so a hard link works) holding the same inode.
  fs::path root = fs::path(EMBER_FIXTURE_DIR) / ("root-" + std::to_string(process.pid()));
  fs::path inside = root / fs::path(code->path).relative_path();
  fs::create_directories(inside.parent_path());
  fs::create_hard_link(code->path, inside);
  MappedFile file;
  Status status = MappedFile::open(process.pid(), root.string(), *code, file);
  fs::remove_all(root);
  ASSERT_TRUE(status.is_ok()) << status.message();
  EXPECT_EQ(file.opened_path(), root.string() + code->path);
  EXPECT_EQ(file.identity().inode, code->inode);
}

TEST(MappedFile, DeletedOrMissingFilesComeFromMapFiles) {
  FixtureProcess process(fixture_path("ember_fixture_pie"));
  std::vector<Mapping> maps;
  ASSERT_TRUE(read_proc_maps(process.pid(), maps).is_ok());
  Mapping code = *find_mapping(maps, process.address("compute_int"));
  std::string map_files = "/proc/" + std::to_string(process.pid()) + "/map_files/";
  MappedFile file;
  ASSERT_TRUE(MappedFile::open(process.pid(), "/nonexistent-root", code, file).is_ok());
  EXPECT_TRUE(file.opened_path().starts_with(map_files)) << file.opened_path();
  code.deleted = true;
  ASSERT_TRUE(MappedFile::open(process.pid(), "", code, file).is_ok());
  EXPECT_TRUE(file.opened_path().starts_with(map_files)) << file.opened_path();
  code.start += 0x1000;  // no such mapping: both ways fail, and the message says both
  code.path = "/nonexistent/file";
  Status status = MappedFile::open(process.pid(), "", code, file);
  EXPECT_FALSE(status.is_ok());
}

// A process' cache of frames by address keeps none alive by itself: once
// no window or sample holds a frame it goes, and the address is named again.
TEST_F(NativeHandlerTest, CachedFramesGoOnceNothingElseHoldsThem) {
  FixtureProcess process(fixture_path("ember_fixture_pie"));
  auto handler = attach(process);
  std::weak_ptr<const Frame> unmapped = unwind(*handler, {0x10})[0];
  std::weak_ptr<const Frame> heap;
  std::vector<Mapping> maps;
  ASSERT_TRUE(read_proc_maps(process.pid(), maps).is_ok());
  for (const Mapping& mapping : maps) {
    if (mapping.path == "[heap]" || mapping.path == "[stack]") {
      heap = unwind(*handler, {mapping.start + 0x20})[0];
    }
  }
  EXPECT_TRUE(unmapped.expired());
  EXPECT_TRUE(heap.expired());
  EXPECT_EQ(name_of(*handler, 0x10), "[unknown]+0x10");
  FrameHandle held = unwind(*handler, {0x10})[0];
  EXPECT_EQ(unwind(*handler, {0x10})[0].get(), held.get()) << "held: the cache hands it out";
}

TEST_F(NativeHandlerTest, SpecialMappingsKeepTheirNames) {
  FixtureProcess process(fixture_path("ember_fixture_pie"));
  std::vector<Mapping> maps;
  ASSERT_TRUE(read_proc_maps(process.pid(), maps).is_ok());
  auto handler = attach(process);
  EXPECT_EQ(name_of(*handler, 0x10), "[unknown]+0x10");
  for (const Mapping& mapping : maps) {
    if (mapping.path == "[stack]" || mapping.path == "[vdso]" || mapping.path == "[heap]") {
      auto frame = unwind(*handler, {mapping.start + 0x20})[0];
      EXPECT_EQ(frame->name, mapping.path + "+0x20");
      EXPECT_EQ(frame->module, mapping.path);
    }
  }
}

TEST_F(NativeHandlerTest, SteadyStateReturnsTheCachedFrame) {
  FixtureProcess process(fixture_path("ember_fixture_pie"));
  auto handler = attach(process);
  auto first = unwind(*handler, {process.address("spin")})[0];
  auto second = unwind(*handler, {process.address("spin")})[0];
  EXPECT_EQ(first.get(), second.get());
}

TEST_F(NativeHandlerTest, SymbolsAreSharedAcrossProcessesAndFreed10sAfterTheirHandlers) {
  {
    FixtureProcess one(fixture_path("ember_fixture_pie"));
    FixtureProcess two(fixture_path("ember_fixture_pie"));
    auto first = attach(one);
    auto second = attach(two);
    auto a = unwind(*first, {one.address("compute_int")})[0];
    auto b = unwind(*second, {two.address("compute_int")})[0];
    EXPECT_EQ(a->name, "ember_fixture::Outer<int>::compute(int)");
    EXPECT_EQ(a.get(), b.get()) << "one frame object for one function of one build";
    EXPECT_EQ(plugin_->symbol_cache()->live_entries(), 1u) << "files are opened on first use";
    unwind(*second, {two.address("lib_static")});
    EXPECT_EQ(plugin_->symbol_cache()->live_entries(), 2u) << "the executable and the library";
  }
  // The next short-lived process of the same program finds them read.
  EXPECT_EQ(plugin_->symbol_cache()->live_entries(), 2u) << "kept after the handlers went";
  plugin_->symbol_cache()->expire_kept(SymbolCache::Clock::now() + std::chrono::seconds(9));
  EXPECT_EQ(plugin_->symbol_cache()->live_entries(), 2u) << "kept for 10 s";
  plugin_->symbol_cache()->expire_kept(SymbolCache::Clock::now() + std::chrono::seconds(10));
  EXPECT_EQ(plugin_->symbol_cache()->live_entries(), 0u);
}

TEST_F(NativeHandlerTest, DlopenedLibraryIsFoundByReReadingMaps) {
  FixtureProcess process(fixture_path("ember_fixture_pie"));
  auto handler = attach(process);
  process.command("dlopen " + fixture_path("libember_fixture_plugin.so"));
  auto frame = unwind(*handler, {process.address("plugin")})[0];
  EXPECT_EQ(frame->name, "ember_fixture_plugin_function");
  EXPECT_EQ(frame->module, "libember_fixture_plugin.so");
}

TEST_F(NativeHandlerTest, MapsRefreshIsRateLimitedAndMappingChangesAreHeard) {
  configure({{"maps_refresh_interval_ms", {std::int64_t{3'600'000}, ""}}});
  FixtureProcess process(fixture_path("ember_fixture_pie"));
  auto handler = attach(process);
  process.command("dlopen " + fixture_path("libember_fixture_plugin.so"));
  std::uint64_t address = process.address("plugin");
  EXPECT_EQ(name_of(*handler, address), "[unknown]+" + hex(address)) << "no refresh within the hour";
  std::vector<Mapping> maps;
  ASSERT_TRUE(read_proc_maps(process.pid(), maps).is_ok());
  handler->on_mappings_changed(ProcessRef{process.pid(), "", "", &maps});
  EXPECT_EQ(name_of(*handler, address), "ember_fixture_plugin_function");
}

TEST_F(NativeHandlerTest, MalformedElfIsLoggedOnceAndNamedByOffset) {
  ScratchDir dir;
  fs::path garbage = dir.path() / "libgarbage.so";
  {
    std::mt19937 random(7);
    std::string bytes = "\x7f" "ELF\x02\x01\x01";
    while (bytes.size() < 3 * 4096) bytes.push_back(static_cast<char>(random()));
    std::ofstream(garbage, std::ios::binary) << bytes;
  }
  FixtureProcess one(fixture_path("ember_fixture_pie"));
  FixtureProcess two(fixture_path("ember_fixture_pie"));
  one.command("map " + garbage.string());
  two.command("map " + garbage.string());
  ASSERT_NE(one.address("map"), 0u);
  auto first = attach(one);
  auto second = attach(two);
  EXPECT_EQ(name_of(*first, one.address("map") + 0x10), "libgarbage.so+0x10");
  EXPECT_EQ(name_of(*first, one.address("map") + 0x1010), "libgarbage.so+0x1010");
  EXPECT_EQ(name_of(*second, two.address("map") + 0x20), "libgarbage.so+0x20");
  EXPECT_EQ(host_.count(LogLevel::warn, "libgarbage.so"), 1u);
}

TEST_F(NativeHandlerTest, ExecutableNonElfFileIsNamedByOffsetWithoutAWarning) {
  ScratchDir dir;
  fs::path jit = dir.path() / "jit-code.bin";
  std::ofstream(jit, std::ios::binary) << std::string(8192, '\xc3');
  FixtureProcess process(fixture_path("ember_fixture_pie"));
  process.command("map " + jit.string());
  auto handler = attach(process);
  EXPECT_EQ(name_of(*handler, process.address("map") + 0x42), "jit-code.bin+0x42");
  EXPECT_EQ(host_.count(LogLevel::warn, ""), 0u);
  EXPECT_EQ(host_.count(LogLevel::debug, "not an ELF file"), 1u);
}

TEST_F(NativeHandlerTest, ExitedProcessStillNamesWhatItOpened) {
  auto process = std::make_unique<FixtureProcess>(fixture_path("ember_fixture_pie"));
  auto handler = attach(*process);
  std::uint64_t spin = process->address("spin");
  std::uint64_t compute = process->address("compute_int");
  EXPECT_EQ(name_of(*handler, spin), "ember_fixture::inner::spin(int)");
  process.reset();  // killed and reaped
  EXPECT_EQ(name_of(*handler, compute), "ember_fixture::Outer<int>::compute(int)")
      << "the executable's symbols were read while it was alive";
}

// Where libc's clone3 returns to, in parent and child alike: the instruction
// after its syscall (test %rax,%rax; jl; jz follow), found in the fixture's
// libc by its bytes and the name the symbolizer gives them.
std::uint64_t after_clone3_syscall(ProcessHandler& handler, std::uint32_t pid) {
  std::vector<Mapping> maps;
  EXPECT_TRUE(read_proc_maps(pid, maps));
  for (const Mapping& mapping : maps) {
    if (!mapping.executable || mapping.path.find("/libc.so") == std::string::npos) continue;
    std::ifstream file(mapping.path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    const std::string pattern("\x0f\x05\x48\x85\xc0\x7c", 6);
    std::uint64_t end = std::min<std::uint64_t>(bytes.size(), mapping.offset + mapping.end - mapping.start);
    for (std::size_t at = bytes.find(pattern, mapping.offset); at != std::string::npos && at < end;
         at = bytes.find(pattern, at + 1)) {
      std::uint64_t address = mapping.start + (at - mapping.offset) + 2;
      std::vector<FrameHandle> frames;
      handler.symbolize_native(address, frames);
      if (!frames.empty() && frames[0]->name.find("clone3") != std::string::npos) return address;
    }
  }
  return 0;
}

TEST_F(NativeHandlerTest, ANewThreadSampledBeforeItsStartCodeIsOneFrame) {
  FixtureProcess process(fixture_path("ember_fixture_pie"));
  auto handler = attach(process);
  std::uint64_t returned = after_clone3_syscall(*handler, process.pid());
  ASSERT_NE(returned, 0u) << "no clone3 named in the fixture's libc (libc6-dbg has its symbols)";
  // The thread's registers are the parent's: rbp leads into the parent's
  // frames (here a frame above sp whose return address is compute_int's).
  // On the thread's empty stack, the word at sp is no return address; the
  // parent's is one (clone3 pushes nothing).
  std::uint64_t parent_return = process.address("spin") + 1;
  for (std::uint64_t ip : {returned, returned + 3, returned + 5}) {  // test, jl, jz
    for (bool child : {true, false}) {
      auto sample = std::make_unique<ember_sample>();
      sample->user_ip = ip;
      sample->user_sp = 0x7ffd00001000;
      sample->user_bp = sample->user_sp + 16;
      std::uint64_t words[4] = {child ? 0 : parent_return, 0, 0,
                                process.address("compute_int") + 1};
      std::memcpy(sample->stack_snapshot, words, sizeof(words));
      sample->snapshot_size = 64;
      sample->flags = EMBER_SAMPLE_HAS_SNAPSHOT;
      sample->user_frame_count = 2;
      sample->user_frames[0] = ip;
      sample->user_frames[1] = words[3];
      NativeStack stack;
      handler->unwind_user(*sample, stack);
      if (child) {
        ASSERT_EQ(stack.leaf_first.size(), 1u) << std::hex << "ip " << ip;
        EXPECT_EQ(stack.leaf_first[0].pc, ip);
        EXPECT_FALSE(stack.truncated);
      } else {
        EXPECT_GT(stack.leaf_first.size(), 1u) << std::hex << "the parent at ip " << ip;
      }
    }
  }
}

TEST_F(NativeHandlerTest, AStackThatReachedItsThreadsStartIsWholeThoughTheWalkWasCut) {
  // A copy the sampler cut to the leaf copy (a full ring) ends where the
  // frame-pointer walk reached the thread's start; only a stack ending
  // elsewhere goes on.
  FixtureProcess process(fixture_path("ember_fixture_pie"));
  auto handler = attach(process);
  std::uint64_t in_clone3 = after_clone3_syscall(*handler, process.pid());
  ASSERT_NE(in_clone3, 0u) << "no clone3 named in the fixture's libc (libc6-dbg has its symbols)";
  std::uint64_t compute_return = process.address("compute_int") + 1;
  for (std::uint64_t root : {in_clone3 + 1, compute_return}) {
    auto sample = std::make_unique<ember_sample>();
    sample->user_ip = process.address("spin");
    sample->flags = EMBER_SAMPLE_USER_TRUNCATED;  // the walk ended at its bound
    sample->user_frame_count = 3;
    sample->user_frames[0] = sample->user_ip;
    sample->user_frames[1] = compute_return;
    sample->user_frames[2] = root;
    NativeStack stack;
    handler->unwind_user(*sample, stack);
    ASSERT_EQ(stack.leaf_first.size(), 3u);
    EXPECT_EQ(stack.truncated, root == compute_return) << std::hex << "root " << root;
  }
}

}  // namespace
}  // namespace ember::native

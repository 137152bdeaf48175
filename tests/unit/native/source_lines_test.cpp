// Line-level symbols against inlined_hot (tests/integration/workloads), built
// -O2 -g with its debug info split off and the binary stripped: by build id
// into a .build-id tree, or named by .gnu_debuglink (no build id, CRC).
// Expected lines come from the LINE: markers in its source; function ranges
// from `nm -S` of the debug file.
#include <fcntl.h>
#include <gelf.h>
#include <gtest/gtest.h>
#include <libelf.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <vector>

#include "debug_file_finder.hpp"
#include "dwarf_pool.hpp"
#include "dwarf_source.hpp"
#include "ember/testing/fake_host.hpp"
#include "frames_text.hpp"
#include "identity_of.hpp"
#include "nm_functions.hpp"
#include "resident_pages.hpp"
#include "scratch_dir.hpp"
#include "symbol_cache.hpp"

namespace ember::native {
namespace {

using test::identity_of;

using ember::test::resident_kib_of;
using ember::test::ScratchDir;

namespace fs = std::filesystem;

std::map<std::string, std::uint32_t> marker_lines() {
  std::ifstream in(EMBER_INLINED_SOURCE);
  std::map<std::string, std::uint32_t> lines;
  std::string text;
  std::regex marker(R"(LINE:(\w+))");
  for (std::uint32_t number = 1; std::getline(in, text); ++number) {
    std::smatch match;
    if (std::regex_search(text, match, marker)) lines[match[1]] = number;
  }
  return lines;
}

// The one .debug file under `root`.
std::string debug_file_under(const std::string& root) {
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.path().extension() == ".debug") return entry.path().string();
  }
  return {};
}

std::shared_ptr<const BinarySymbols> symbols_of(SymbolCache& cache, const std::string& path,
                                                const std::string& root = "") {
  MappedFile file;
  Status status = MappedFile::open_path(path, file);
  EXPECT_TRUE(status.is_ok()) << status.message();
  return cache.get(file, path, root);
}

// Every address of outer_work names outer_work at a line of its own; the
// addresses of the inlined loop name mix_inlined, inlined, above it, which
// is then at the line of the call.
void expect_outer_work_lines(const BinarySymbols& symbols, const std::string& debug_file) {
  auto lines = marker_lines();
  NmFunction outer = nm_function(debug_file, "outer_work");
  ASSERT_GT(outer.size, 0u) << "no outer_work in " << debug_file;
  std::size_t inlined = 0;
  std::size_t at_body = 0;
  std::map<std::vector<const Frame*>, const FrameChain*> chain_of_frames;
  std::vector<ChainHandle> held;  // chains live while held, as a window holds them
  for (std::uint64_t vaddr = outer.address; vaddr < outer.address + outer.size; ++vaddr) {
    ChainHandle chain = symbols.frames(vaddr, "inlined_hot");
    ASSERT_TRUE(chain) << hex(vaddr);
    held.push_back(chain);
    std::vector<const Frame*> frames;
    for (const FrameHandle& frame : *chain) frames.push_back(frame.get());
    auto [shared, first] = chain_of_frames.try_emplace(frames, chain.get());
    EXPECT_TRUE(first || shared->second == chain.get())
        << hex(vaddr) << ": the addresses of one line share one chain";
    ASSERT_TRUE(chain->size() == 1 || chain->size() == 2) << chain->size();
    const Frame& function = *chain->back();
    EXPECT_EQ(function.name, "outer_work");
    EXPECT_FALSE(function.inlined);
    EXPECT_TRUE(function.file.ends_with("/inlined_hot.c")) << function.file;
    EXPECT_GE(function.line, lines["outer_first"]) << hex(vaddr);
    EXPECT_LE(function.line, lines["outer_last"]) << hex(vaddr);
    if (chain->size() == 2) {
      const Frame& leaf = *chain->front();
      EXPECT_EQ(leaf.name, "mix_inlined");
      EXPECT_TRUE(leaf.inlined);
      EXPECT_EQ(leaf.module, "inlined_hot");
      EXPECT_TRUE(leaf.file.ends_with("/inlined_hot.c")) << leaf.file;
      EXPECT_GE(leaf.line, lines["mix_first"]);
      EXPECT_LE(leaf.line, lines["mix_last"]);
      EXPECT_EQ(function.line, lines["inlined_call"]);
      ++inlined;
      at_body += leaf.line == lines["mix_body"];
    }
    EXPECT_EQ(symbols.frames(vaddr, "inlined_hot").get(), chain.get()) << "cached per address";
  }
  EXPECT_LT(chain_of_frames.size(), outer.size / 2) << "lines of one address each?";
  EXPECT_GT(inlined, 0u) << "no address of outer_work is in the inlined loop";
  EXPECT_GT(at_body, 0u) << "no address is at the loop body's line";
}

TEST(SourceLines, DebugFileFoundByBuildIdGivesLinesAndInlinedFrames) {
  ember::testkit::FakeHost host;
  NativeOptions options;
  options.debug_dirs = {EMBER_INLINED_DEBUG_ROOT};
  SymbolCache cache(host, options);
  auto symbols = symbols_of(cache, EMBER_INLINED_HOT);
  ASSERT_TRUE(symbols->readable()) << symbols->error();
  EXPECT_TRUE(symbols->has_extra_symbols());
  EXPECT_TRUE(symbols->has_dwarf());
  expect_outer_work_lines(*symbols, debug_file_under(EMBER_INLINED_DEBUG_ROOT));
}

TEST(SourceLines, DebugFileInsideTheProcessRootComesFirst) {
  ScratchDir root;
  fs::path inside = root.path() / fs::path(EMBER_INLINED_DEBUG_ROOT).relative_path();
  fs::create_directories(inside.parent_path());
  fs::copy(EMBER_INLINED_DEBUG_ROOT, inside, fs::copy_options::recursive);
  ember::testkit::FakeHost host;
  NativeOptions options;
  options.debug_dirs = {EMBER_INLINED_DEBUG_ROOT};
  SymbolCache cache(host, options);
  auto symbols = symbols_of(cache, EMBER_INLINED_HOT, root.path().string());
  ASSERT_TRUE(symbols->has_dwarf());
  EXPECT_EQ(cache.dwarf_pool().open_count(), 0u) << "opened on first lookup";
  expect_outer_work_lines(*symbols, debug_file_under(inside.string()));
  EXPECT_EQ(host.count(LogLevel::debug, "debug file " + root.path().string()), 1u)
      << "the copy inside the root was used";
}

std::string nobid_debug_file();

// A debug file found through a process' root is kept by the path the agent
// itself sees it at: its handle, closed while the process is gone, reopens.
TEST(SourceLines, DebugFileFoundThroughAProcessRootReopensAfterTheProcessExits) {
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::pause();
    ::_exit(0);
  }
  const std::string root = "/proc/" + std::to_string(child) + "/root";
  ember::testkit::FakeHost host;
  NativeOptions options;
  options.debug_dirs = {EMBER_INLINED_DEBUG_ROOT};
  options.max_open_debug_files = 1;  // a second file's lookup closes the first
  SymbolCache cache(host, options);
  auto symbols = symbols_of(cache, EMBER_INLINED_HOT, root);
  ASSERT_TRUE(symbols->has_dwarf());
  EXPECT_EQ(host.count(LogLevel::debug, "debug file " + root), 1u) << "found through the root";
  const std::string debug_file = debug_file_under(EMBER_INLINED_DEBUG_ROOT);
  NmFunction outer = nm_function(debug_file, "outer_work");
  ASSERT_TRUE(symbols->frames(outer.address, "inlined_hot"));
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);

  auto other = symbols_of(cache, EMBER_INLINED_NOBID);
  NmFunction other_outer = nm_function(nobid_debug_file(), "outer_work");
  ASSERT_TRUE(other->frames(other_outer.address, "inlined_hot_nobid"));
  EXPECT_EQ(cache.dwarf_pool().open_count(), 1u);
  expect_outer_work_lines(*symbols, debug_file);  // its addresses but the first: reopened
  EXPECT_EQ(host.count(LogLevel::debug, "gone or was replaced"), 0u);
}

TEST(SourceLines, StrippedBinaryWithoutItsDebugFileHasNoNames) {
  ember::testkit::FakeHost host;
  NativeOptions options;
  options.debug_dirs = {};
  SymbolCache cache(host, options);
  auto symbols = symbols_of(cache, EMBER_INLINED_HOT);
  NmFunction outer = nm_function(debug_file_under(EMBER_INLINED_DEBUG_ROOT), "outer_work");
  EXPECT_FALSE(symbols->has_dwarf());
  EXPECT_EQ(symbols->frames(outer.address + 1, "inlined_hot"), nullptr)
      << "the symbolizer names it module+offset";
}

TEST(SourceLines, LinesOffKeepsOneFramePerAddressNamedFromTheDebugFile) {
  ember::testkit::FakeHost host;
  NativeOptions options;
  options.debug_dirs = {EMBER_INLINED_DEBUG_ROOT};
  options.lines = false;
  SymbolCache cache(host, options);
  auto symbols = symbols_of(cache, EMBER_INLINED_HOT);
  NmFunction outer = nm_function(debug_file_under(EMBER_INLINED_DEBUG_ROOT), "outer_work");
  for (std::uint64_t vaddr = outer.address; vaddr < outer.address + outer.size; ++vaddr) {
    ChainHandle chain = symbols->frames(vaddr, "inlined_hot");
    ASSERT_TRUE(chain);
    ASSERT_EQ(chain->size(), 1u);
    EXPECT_EQ(chain->front()->name, "outer_work");
    EXPECT_EQ(chain->front()->line, 0u);
  }
}

TEST(SourceLines, DebuglinkFileIsFoundNextToTheObjectAndCheckedByCrc) {
  ember::testkit::FakeHost host;
  NativeOptions options;  // default debug_dirs: the file is next to the object
  SymbolCache cache(host, options);
  std::string debug =
      (fs::path(EMBER_INLINED_NOBID).parent_path() / ".debug" / "inlined_hot_nobid.debug").string();
  {
    auto symbols = symbols_of(cache, EMBER_INLINED_NOBID);
    ASSERT_TRUE(symbols->elf().build_id().empty()) << "built without a build id";
    ASSERT_TRUE(symbols->has_dwarf());
    expect_outer_work_lines(*symbols, debug);
  }
  // The same link next to a copy, but another file behind it: its CRC differs.
  ScratchDir dir;
  fs::path copy = dir.path() / "inlined_hot_nobid";
  fs::copy_file(EMBER_INLINED_NOBID, copy);
  fs::create_directories(dir.path() / ".debug");
  fs::path wrong = dir.path() / ".debug" / "inlined_hot_nobid.debug";
  fs::copy_file(debug, wrong);
  {
    std::fstream bytes(wrong, std::ios::in | std::ios::out | std::ios::binary);
    bytes.seekp(-1, std::ios::end);
    bytes.put('\x5a');
  }
  auto symbols = symbols_of(cache, copy.string());
  EXPECT_FALSE(symbols->has_dwarf());
  EXPECT_FALSE(symbols->has_extra_symbols());
}

TEST(DebugFileFinder, SearchesTheProcessRootThenTheHostByBuildIdThenDebuglink) {
  DebugFileQuery query;
  query.roots = {"/proc/7/root", ""};
  query.debug_dirs = {"/usr/lib/debug"};
  query.build_id = "abcdef";
  query.object_path = "/usr/bin/app";
  query.debuglink = "app.debug";
  std::vector<std::string> expected = {
      "/proc/7/root/usr/lib/debug/.build-id/ab/cdef.debug",
      "/usr/lib/debug/.build-id/ab/cdef.debug",
      "/proc/7/root/usr/bin/app.debug",
      "/proc/7/root/usr/bin/.debug/app.debug",
      "/proc/7/root/usr/lib/debug/usr/bin/app.debug",
      "/usr/bin/app.debug",
      "/usr/bin/.debug/app.debug",
      "/usr/lib/debug/usr/bin/app.debug",
  };
  EXPECT_EQ(debug_file_candidates(query), expected);
  query.debuglink = "../../etc/passwd";
  EXPECT_EQ(debug_file_candidates(query).size(), 2u) << "a link with a slash is not followed";
}

// The debug file inlined_hot_nobid's .gnu_debuglink names, in .debug/ beside it.
std::string nobid_debug_file() {
  return (fs::path(EMBER_INLINED_NOBID).parent_path() / ".debug" / "inlined_hot_nobid.debug")
      .string();
}

// The pool's clock, moved by the test; it starts an hour in.
struct FakeClock {
  DwarfPool::Clock::time_point now = DwarfPool::Clock::time_point(std::chrono::hours(1));
  std::function<DwarfPool::Clock::time_point()> source() {
    return [this] { return now; };
  }
};

TEST(DwarfPool, HandlesBeyondTheLimitsAreClosedAndReopenedOnUse) {
  std::string by_id = debug_file_under(EMBER_INLINED_DEBUG_ROOT);
  std::string by_link = nobid_debug_file();
  NmFunction outer = nm_function(by_id, "outer_work");
  NmFunction outer_link = nm_function(by_link, "outer_work");
  std::vector<SourceFunction> out;
  std::string error;

  DwarfPool one_open(std::size_t{64} << 20, 1);
  std::uint64_t a = one_open.add(by_id, identity_of(by_id));
  std::uint64_t b = one_open.add(by_link, identity_of(by_link));
  EXPECT_TRUE(one_open.lookup(a, outer.address, out, error));
  EXPECT_TRUE(one_open.lookup(b, outer_link.address, out, error));
  EXPECT_EQ(one_open.open_count(), 1u);
  EXPECT_TRUE(one_open.lookup(a, outer.address, out, error)) << "reopened";
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.back().name, "outer_work");

  // One byte: every handle is closed at the release after its lookup (once
  // a second), not at the lookup: a file over the budget is not reopened
  // for every new address.
  FakeClock clock;
  DwarfPool no_room(1, 32, nullptr, std::chrono::seconds(1), std::chrono::seconds(0),
                    clock.source());
  std::uint64_t c = no_room.add(by_id, identity_of(by_id));
  EXPECT_TRUE(no_room.lookup(c, outer.address, out, error));
  EXPECT_TRUE(no_room.lookup(c, outer.address + 1, out, error));
  EXPECT_EQ(no_room.open_count(), 1u) << "over the budget until the release";
  clock.now += std::chrono::seconds(1);
  no_room.release_if_due();
  EXPECT_EQ(no_room.open_count(), 0u);
  EXPECT_EQ(no_room.memory_estimate(), 0u);
  EXPECT_TRUE(no_room.lookup(c, outer.address, out, error));
  EXPECT_TRUE(error.empty()) << error;

  DwarfPool replaced(std::size_t{64} << 20, 32);
  FileIdentity stale = identity_of(by_id);
  stale.inode += 1;
  std::uint64_t d = replaced.add(by_id, stale);
  EXPECT_FALSE(replaced.lookup(d, outer.address, out, error));
  EXPECT_NE(error.find("replaced"), std::string::npos) << error;
}

// What the compressed .debug_* sections of `path` DwarfSource reads inflate
// to (their compression headers' ch_size); `all`: every one of them.
std::size_t compressed_debug_bytes(const std::string& path, bool all = false) {
  const std::set<std::string> read = {
      ".debug_info", ".debug_abbrev", ".debug_str",      ".debug_line_str", ".debug_str_offsets",
      ".debug_addr", ".debug_ranges", ".debug_rnglists", ".debug_aranges",  ".debug_line"};
  elf_version(EV_CURRENT);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  Elf* elf = fd >= 0 ? elf_begin(fd, ELF_C_READ, nullptr) : nullptr;
  std::size_t names = 0;
  std::size_t total = 0;
  if (elf && elf_getshdrstrndx(elf, &names) == 0) {
    for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
      GElf_Shdr shdr;
      GElf_Chdr chdr;
      if (!gelf_getshdr(scn, &shdr) || !(shdr.sh_flags & SHF_COMPRESSED)) continue;
      const char* name = elf_strptr(elf, names, shdr.sh_name);
      if (name && std::strncmp(name, ".debug_", 7) == 0 && (all || read.count(name)) &&
          gelf_getchdr(scn, &chdr)) {
        total += chdr.ch_size;
      }
    }
  }
  if (elf) elf_end(elf);
  if (fd >= 0) ::close(fd);
  return total;
}

TEST(DwarfSource, InflatedSectionsAreInTheEstimateAndFilePagesAreReleased) {
  // Compressed DWARF: the sections lookups read are inflated at open, on
  // the heap; the others (locations, frames, macros) are not.
  std::string gz = EMBER_INLINED_GZ;
  std::size_t inflated = compressed_debug_bytes(gz);
  ASSERT_GT(inflated, 0u) << gz << " has no compressed debug sections";
  ASSERT_GT(compressed_debug_bytes(gz, true), inflated) << gz << ": no section left out";
  std::unique_ptr<DwarfSource> source;
  ASSERT_TRUE(DwarfSource::open(gz, source).is_ok());
  EXPECT_GE(source->memory_estimate(), inflated);
  EXPECT_LT(source->memory_estimate(), compressed_debug_bytes(gz, true));
  EXPECT_EQ(resident_kib_of(gz), 0u) << "the compressed bytes stay mapped after inflating";
  NmFunction outer = nm_function(gz, "outer_work");
  std::vector<SourceFunction> out;
  ASSERT_TRUE(source->lookup(outer.address, out));
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.back().name, "outer_work");

  // Uncompressed DWARF is read in place: the pages a lookup touched stay
  // until released, and are read again by the next lookup.
  std::string by_id = debug_file_under(EMBER_INLINED_DEBUG_ROOT);
  NmFunction outer_by_id = nm_function(by_id, "outer_work");
  ASSERT_TRUE(DwarfSource::open(by_id, source).is_ok());
  for (int round = 0; round < 2; ++round) {
    ASSERT_TRUE(source->lookup(outer_by_id.address, out)) << "round " << round;
    ASSERT_FALSE(out.empty());
    EXPECT_EQ(out.back().name, "outer_work");
    EXPECT_GT(out.back().line, 0u);
    EXPECT_GT(resident_kib_of(by_id), 0u) << "round " << round;
    source->release_file_pages();
    EXPECT_EQ(resident_kib_of(by_id), 0u) << "round " << round;
  }
}

// Units are found through .debug_aranges, and through their unit DIE's
// ranges where the table leaves them out: both give the same functions.
TEST(DwarfSource, UnitsFromArangesAndFromTheirDiesGiveTheSameFunctions) {
  // Many C units with libc's types: the table costs less than their DIEs.
  std::string fixture = EMBER_ARANGES_FIXTURE;
  std::unique_ptr<DwarfSource> by_table;
  std::unique_ptr<DwarfSource> by_dies;
  ASSERT_TRUE(DwarfSource::open(fixture, by_table).is_ok());
  ASSERT_TRUE(DwarfSource::open(fixture + "_none", by_dies).is_ok());
  std::vector<SourceFunction> out;
  std::vector<SourceFunction> expected;
  for (std::string name :
       {"unit_with_aranges", "unit_without_aranges", "small_unit_1", "small_unit_64"}) {
    NmFunction function = nm_function(fixture, name);
    ASSERT_GT(function.size, 0u) << name;
    ASSERT_TRUE(by_table->lookup(function.address, out)) << name;
    ASSERT_TRUE(by_dies->lookup(function.address, expected)) << name;
    ASSERT_FALSE(out.empty()) << name;
    EXPECT_EQ(out.back().name, name);
    EXPECT_EQ(frames_text(out), frames_text(expected));
    std::string file = name == "unit_with_aranges"      ? "/aranges_fixture_main.c"
                       : name == "unit_without_aranges" ? "/aranges_fixture_other.c"
                                                        : "/aranges_fixture_unit.c";
    EXPECT_TRUE(out.back().file.ends_with(file)) << out.back().file;
    EXPECT_GT(out.back().line, 0u);
  }

  // This program's own DWARF (GCC's C++), against a copy without the
  // table.
  ScratchDir dir;
  std::string self = fs::read_symlink("/proc/self/exe").string();
  std::string without = (dir.path() / "without_aranges").string();
  std::string command = std::string(EMBER_OBJCOPY) + " --remove-section=.debug_aranges '" + self +
                        "' '" + without + "'";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  ASSERT_TRUE(DwarfSource::open(self, by_table).is_ok());
  ASSERT_TRUE(DwarfSource::open(without, by_dies).is_ok());
  auto functions = nm_functions(self);
  ASSERT_FALSE(functions.empty());
  std::size_t found = 0;
  for (const auto& [name, function] : functions) {
    std::uint64_t vaddr = function.address + function.size / 2;
    bool in_dies = by_dies->lookup(vaddr, expected);
    ASSERT_EQ(by_table->lookup(vaddr, out), in_dies) << name;
    ASSERT_EQ(frames_text(out), frames_text(expected)) << name;
    found += in_dies && !out.empty() && !out.back().name.empty();
  }
  EXPECT_GT(found, 1000u) << "functions of this program named from its DWARF";
  EXPECT_EQ(by_table->units_read(), by_dies->units_read());
}

// Pools whose pages go back on their clock alone: the first lookups fault
// in this program's code too, megabytes of it in a sanitizer build.
constexpr std::size_t kNoBurst = SIZE_MAX;
constexpr DwarfPool::Clock::duration kIdleClose = DwarfPool::kIdleClose;

TEST(DwarfPool, TouchedFilePagesAreReleasedOncePerInterval) {
  std::string by_id = debug_file_under(EMBER_INLINED_DEBUG_ROOT);
  NmFunction outer = nm_function(by_id, "outer_work");
  MappedFile file;
  ASSERT_TRUE(MappedFile::open_path(by_id, file).is_ok());
  std::vector<SourceFunction> out;
  std::string error;

  {
    // An hour's interval and no burst release: the lookups' pages stay (no
    // fault-back per lookup).
    DwarfPool hourly(std::size_t{64} << 20, 4, nullptr, std::chrono::hours(1), kIdleClose,
                     &DwarfPool::Clock::now, kNoBurst);
    std::uint64_t id = hourly.add(by_id, file.identity());
    ASSERT_TRUE(hourly.lookup(id, outer.address, out, error)) << error;
    ASSERT_TRUE(hourly.lookup(id, outer.address + 1, out, error)) << error;
    hourly.release_if_due();
    EXPECT_GT(resident_kib_of(by_id), 0u) << "released before the interval passed";
  }  // closed: unmapped

  // Due at every call: released after each lookup, and by release_if_due.
  DwarfPool always(std::size_t{64} << 20, 4, nullptr, std::chrono::seconds(0));
  std::uint64_t other = always.add(by_id, file.identity());
  ASSERT_TRUE(always.lookup(other, outer.address, out, error)) << error;
  EXPECT_EQ(resident_kib_of(by_id), 0u);
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.back().name, "outer_work");
}

// Lookups of many new addresses between two timed releases (an hour apart
// here) give the file's pages back once they have mapped in 2 MiB more: the
// kernel maps 64 KiB around each page read, and this program's 16 MB of
// DWARF would otherwise be resident by the end.
TEST(DwarfPool, ABurstOfLookupsGivesItsPagesBackPastTwoMegabytes) {
  ScratchDir dir;
  const std::string copy = dir.file("program");  // mapped by the pool alone
  fs::copy_file(fs::read_symlink("/proc/self/exe"), copy);
  std::map<std::string, NmFunction> functions = nm_functions(copy);
  ASSERT_GT(functions.size(), 3000u);
  DwarfPool pool(std::size_t{1} << 30, 4, nullptr, std::chrono::hours(1));
  std::uint64_t id = pool.add(copy, identity_of(copy));
  std::vector<SourceFunction> out;
  std::string error;
  std::size_t looked_up = 0;
  std::size_t named = 0;
  std::size_t most_kib = 0;
  std::size_t step = functions.size() / 1500;
  std::size_t index = 0;
  for (const auto& [name, function] : functions) {
    if (index++ % step != 0) continue;
    named += pool.lookup(id, function.address, out, error) && !out.empty();
    if (++looked_up % 10 == 0) most_kib = std::max(most_kib, resident_kib_of(copy));
  }
  EXPECT_GT(named, 1000u) << error;
  // The burst's 2 MiB, what one lookup maps past it, and the first lookup's
  // walk over every unit header (given back every MiB of it).
  EXPECT_LE(most_kib, 5u * 1024) << "of " << fs::file_size(copy) / 1024 << " KiB";
}

// The pages go back at a tenth of the release interval; the idle closes
// (and the trim) wait for the whole interval.
TEST(DwarfPool, FilePagesGoBackBeforeTheIdleCloses) {
  std::string by_id = debug_file_under(EMBER_INLINED_DEBUG_ROOT);
  NmFunction outer = nm_function(by_id, "outer_work");
  FakeClock clock;
  DwarfPool pool(std::size_t{64} << 20, 8, nullptr, std::chrono::seconds(1),
                 std::chrono::milliseconds(50), clock.source(), kNoBurst);
  std::uint64_t id = pool.add(by_id, identity_of(by_id));
  std::vector<SourceFunction> out;
  std::string error;
  ASSERT_TRUE(pool.lookup(id, outer.address, out, error)) << error;
  EXPECT_GT(resident_kib_of(by_id), 0u);
  clock.now += std::chrono::milliseconds(150);
  pool.release_if_due();
  EXPECT_EQ(resident_kib_of(by_id), 0u) << "pages kept past a tenth of the interval";
  EXPECT_EQ(pool.open_count(), 1u) << "closed before the release interval";
  clock.now += std::chrono::seconds(1);
  pool.release_if_due();
  EXPECT_EQ(pool.open_count(), 0u);
}

// A handle no lookup used for the idle interval is closed at the next
// release, on the pool's clock; the others stay; a closed one reopens.
TEST(DwarfPool, AFileIdleForTheIntervalIsClosed) {
  std::string by_id = debug_file_under(EMBER_INLINED_DEBUG_ROOT);
  std::string by_link = nobid_debug_file();
  NmFunction outer = nm_function(by_id, "outer_work");
  NmFunction outer_link = nm_function(by_link, "outer_work");
  FakeClock clock;
  DwarfPool pool(std::size_t{64} << 20, 8, nullptr, std::chrono::seconds(1),
                 std::chrono::seconds(30), clock.source());
  std::uint64_t a = pool.add(by_id, identity_of(by_id));
  std::uint64_t b = pool.add(by_link, identity_of(by_link));
  std::vector<SourceFunction> out;
  std::string error;
  ASSERT_TRUE(pool.lookup(a, outer.address, out, error)) << error;
  clock.now += std::chrono::seconds(20);
  ASSERT_TRUE(pool.lookup(b, outer_link.address, out, error)) << error;
  EXPECT_EQ(pool.open_count(), 2u);

  clock.now += std::chrono::seconds(9);  // a: 29 s idle
  pool.release_if_due();
  EXPECT_EQ(pool.open_count(), 2u) << "closed before the interval";
  clock.now += std::chrono::seconds(2);  // a: 31 s, b: 11 s
  pool.release_if_due();
  EXPECT_EQ(pool.open_count(), 1u) << "the idle file stays open";
  EXPECT_LT(pool.memory_estimate(), std::size_t{64} << 20);

  clock.now += std::chrono::seconds(30);  // b too
  pool.release_if_due();
  EXPECT_EQ(pool.open_count(), 0u);
  EXPECT_EQ(pool.memory_estimate(), 0u);
  out.clear();
  ASSERT_TRUE(pool.lookup(a, outer.address, out, error)) << "reopened: " << error;
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.back().name, "outer_work");
  EXPECT_EQ(pool.open_count(), 1u);

  DwarfPool never(std::size_t{64} << 20, 8, nullptr, std::chrono::seconds(1),
                  DwarfPool::Clock::duration::zero(), clock.source());
  std::uint64_t c = never.add(by_id, identity_of(by_id));
  ASSERT_TRUE(never.lookup(c, outer.address, out, error)) << error;
  clock.now += std::chrono::hours(5);
  never.release_if_due();
  EXPECT_EQ(never.open_count(), 1u) << "an idle interval of zero closes nothing";
}

}  // namespace
}  // namespace ember::native

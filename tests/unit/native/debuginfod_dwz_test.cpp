// Debug files that dwz compressed, as Debian's -dbgsym packages ship them:
// inlined_dwz's debug file keeps its lines but names mix_inlined (the
// function inlined into outer_work) only in the alt file it shares with
// inlined_dwz_twin's (tests/integration/workloads/dwz_debug.sh), linked as
// a path the host does not have. Served by a file:// debuginfod server (the
// layout a server answers, /buildid/<id>/debuginfo) with or without that
// alt file, or a broken one; test_debuginfod.py does the same against
// Debian's debuginfod server under the real agent.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string_view>
#include <thread>

#include "debuginfod_fetcher.hpp"
#include "dwarf_pool.hpp"
#include "ember/elf_file.hpp"
#include "ember/testing/fake_host.hpp"
#include "native_options.hpp"
#include "scratch_dir.hpp"
#include "symbol_cache.hpp"

namespace ember::native {
namespace {

using ember::test::ScratchDir;
namespace fs = std::filesystem;

// Where dwz_debug.sh linked the alt file.
constexpr std::string_view kAltName = "/usr/lib/debug/.dwz/ember-tests/inlined_dwz.debug";

std::string dwz_build_id(const std::string& path) {
  ElfFile elf;
  Status status = ElfFile::open(path, elf);
  EXPECT_TRUE(status.is_ok()) << status.message();
  return elf.build_id();
}

std::string alt_file() { return std::string(EMBER_DWZ_DIR) + "/alt.debug"; }

// inlined_dwz's debug file in its .build-id tree.
std::string dwz_debug_file() {
  std::string id = dwz_build_id(EMBER_INLINED_DWZ);
  return std::string(EMBER_DWZ_DIR) + "/debug/.build-id/" + id.substr(0, 2) + "/" +
         id.substr(2) + ".debug";
}

enum class Alt { served, missing, corrupt, other_build_id };

// A file:// server with inlined_dwz's debug file and, as `alt` says, what it
// answers for the alt file's build id.
std::string dwz_server(const ScratchDir& scratch, Alt alt, bool with_debug_file = true) {
  fs::path served = scratch.path() / "server";
  fs::create_directories(served);
  if (with_debug_file) {
    fs::path entry = served / "buildid" / dwz_build_id(EMBER_INLINED_DWZ);
    fs::create_directories(entry);
    fs::copy_file(dwz_debug_file(), entry / "debuginfo");
  }
  fs::path entry = served / "buildid" / dwz_build_id(alt_file());
  if (alt != Alt::missing) fs::create_directories(entry);
  if (alt == Alt::served) fs::copy_file(alt_file(), entry / "debuginfo");
  if (alt == Alt::corrupt) {
    // An ELF header, then nothing of what it promises.
    std::ifstream in(alt_file(), std::ios::binary);
    std::string head(64, '\0');
    in.read(head.data(), 64);
    std::ofstream(entry / "debuginfo", std::ios::binary) << head << std::string(512, '\xff');
  }
  if (alt == Alt::other_build_id) fs::copy_file(dwz_debug_file(), entry / "debuginfo");
  return "file://" + served.string();
}

NativeOptions dwz_options(const ScratchDir& scratch, std::string url) {
  NativeOptions options;
  options.debug_dirs = {};  // nothing of inlined_dwz is found locally
  options.cache_dir = (scratch.path() / "cache").string();
  if (!url.empty()) {
    options.debuginfod_urls = {std::move(url)};
    options.debuginfod_urls_from = "debuginfod_urls";
  }
  return options;
}

std::shared_ptr<const BinarySymbols> stripped_inlined_dwz(SymbolCache& cache,
                                                          const std::string& root = "") {
  MappedFile file;
  Status status = MappedFile::open_path(EMBER_INLINED_DWZ, file);
  EXPECT_TRUE(status.is_ok()) << status.message();
  return cache.get(file, EMBER_INLINED_DWZ, root);
}

// What the addresses of outer_work name, once nothing is being fetched.
struct OuterWorkNames {
  std::size_t addresses = 0;
  std::size_t outer_work_with_lines = 0;  // the function: its symbol's name, file, line
  std::size_t mix_inlined = 0;            // an inlined frame named mix_inlined, with its line
  std::size_t inlined_unnamed = 0;        // an inlined frame without its DWARF name
};

OuterWorkNames outer_work_names(const BinarySymbols& symbols) {
  ElfFile debug;
  EXPECT_TRUE(ElfFile::open(dwz_debug_file(), debug).is_ok());
  std::optional<ElfSymbol> outer = debug.find_symbol("outer_work");
  EXPECT_TRUE(outer && outer->size > 0) << "no outer_work in " << dwz_debug_file();
  OuterWorkNames names;
  if (!outer) return names;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  symbols.frames(outer->address, "inlined_dwz");
  while (symbols.awaiting_debug_file() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    symbols.frames(outer->address, "inlined_dwz");
  }
  EXPECT_FALSE(symbols.awaiting_debug_file()) << "the fetch did not end within 20 s";
  for (std::uint64_t vaddr = outer->address; vaddr < outer->address + outer->size; ++vaddr) {
    ++names.addresses;
    ChainHandle chain = symbols.frames(vaddr, "inlined_dwz");
    if (!chain) continue;
    const Frame& function = *chain->back();
    names.outer_work_with_lines += function.name == "outer_work" &&
                                   function.file.ends_with("/inlined_hot.c") && function.line > 0;
    if (chain->size() < 2) continue;
    const Frame& leaf = *chain->front();
    if (!leaf.inlined) continue;
    if (leaf.name == "mix_inlined" && leaf.file.ends_with("/inlined_hot.c") && leaf.line > 0) {
      ++names.mix_inlined;
    } else if (leaf.name != "mix_inlined") {
      ++names.inlined_unnamed;
    }
  }
  return names;
}

TEST(DebuginfodDwz, TheFixtureNamesMixInlinedOnlyInTheAltFile) {
  // Else every test below would prove nothing.
  ASSERT_TRUE(fs::exists(alt_file())) << alt_file();
  ASSERT_TRUE(fs::exists(dwz_debug_file())) << dwz_debug_file();
  ASSERT_FALSE(fs::exists(kAltName)) << "the host has the alt file: libdw would find it itself";
  ScratchDir scratch;
  ember::testkit::FakeHost host;
  NativeOptions options = dwz_options(scratch, "");
  options.debug_dirs = {std::string(EMBER_DWZ_DIR) + "/debug"};
  SymbolCache cache(host, options);
  auto symbols = stripped_inlined_dwz(cache);
  ASSERT_TRUE(symbols->has_dwarf());
  OuterWorkNames names = outer_work_names(*symbols);
  EXPECT_GT(names.outer_work_with_lines, 0u) << "lines are the debug file's own";
  EXPECT_EQ(names.mix_inlined, 0u);
  EXPECT_GT(names.inlined_unnamed, 0u);
  EXPECT_EQ(host.count(LogLevel::debug, "no dwz alt file " + std::string(kAltName)), 1u);
}

TEST(DebuginfodDwz, AFetchedDebugFileComesWithItsAltFile) {
  ScratchDir scratch;
  ember::testkit::FakeHost host;
  NativeOptions options = dwz_options(scratch, dwz_server(scratch, Alt::served));
  SymbolCache cache(host, options);
  ASSERT_NE(cache.debuginfod(), nullptr) << host.find(LogLevel::warn, "debuginfod");
  auto symbols = stripped_inlined_dwz(cache);
  OuterWorkNames names = outer_work_names(*symbols);
  EXPECT_GT(names.outer_work_with_lines, 0u);
  EXPECT_GT(names.mix_inlined, 0u) << "mix_inlined is named only in the alt file";
  EXPECT_EQ(names.inlined_unnamed, 0u);
  EXPECT_EQ(cache.debuginfod()->fetches(), 2u) << "the debug file, then its alt file";
  EXPECT_TRUE(fs::exists(fs::path(options.cache_dir) / "debuginfod" / dwz_build_id(alt_file()) /
                         "debuginfo"))
      << "kept in the same cache";
  EXPECT_EQ(host.count(LogLevel::warn, ""), 0u) << host.find(LogLevel::warn, "");
}

TEST(DebuginfodDwz, ALocalDebugFileFetchesOnlyItsAltFile) {
  ScratchDir scratch;
  ember::testkit::FakeHost host;
  NativeOptions options =
      dwz_options(scratch, dwz_server(scratch, Alt::served, /*with_debug_file=*/false));
  options.debug_dirs = {std::string(EMBER_DWZ_DIR) + "/debug"};
  SymbolCache cache(host, options);
  ASSERT_NE(cache.debuginfod(), nullptr);
  auto symbols = stripped_inlined_dwz(cache);
  OuterWorkNames names = outer_work_names(*symbols);
  EXPECT_GT(names.outer_work_with_lines, 0u);
  EXPECT_GT(names.mix_inlined, 0u);
  EXPECT_EQ(names.inlined_unnamed, 0u);
  EXPECT_EQ(cache.debuginfod()->fetches(), 1u);
}

TEST(DebuginfodDwz, AnAltFileInTheProcessRootIsFoundWithoutDebuginfod) {
  ScratchDir scratch;
  ember::testkit::FakeHost host;
  fs::path root = scratch.path() / "root";
  fs::create_directories((root / kAltName.substr(1)).parent_path());
  fs::copy_file(alt_file(), root / kAltName.substr(1));
  NativeOptions options = dwz_options(scratch, "");
  options.debug_dirs = {std::string(EMBER_DWZ_DIR) + "/debug"};
  SymbolCache cache(host, options);
  auto symbols = stripped_inlined_dwz(cache, root.string());
  OuterWorkNames names = outer_work_names(*symbols);
  EXPECT_GT(names.mix_inlined, 0u);
  EXPECT_EQ(names.inlined_unnamed, 0u);
}

// What a bad alt file leaves: the debug file's own names and lines, one
// warning naming the alt file, the inlined frames unnamed.
void expect_fallback(Alt alt, const std::string& why) {
  ScratchDir scratch;
  ember::testkit::FakeHost host;
  NativeOptions options = dwz_options(scratch, dwz_server(scratch, alt));
  SymbolCache cache(host, options);
  ASSERT_NE(cache.debuginfod(), nullptr);
  auto symbols = stripped_inlined_dwz(cache);
  OuterWorkNames names = outer_work_names(*symbols);
  EXPECT_TRUE(symbols->has_dwarf());
  EXPECT_EQ(names.outer_work_with_lines, names.addresses) << "every address names outer_work";
  EXPECT_EQ(names.mix_inlined, 0u);
  EXPECT_GT(names.inlined_unnamed, 0u);
  std::string warning = "without its dwz alt file " + std::string(kAltName) + " (build id " +
                        dwz_build_id(alt_file()) + ")";
  EXPECT_EQ(host.count(LogLevel::warn, warning), 1u) << host.find(LogLevel::warn, "");
  EXPECT_EQ(host.count(LogLevel::warn, why), 1u) << host.find(LogLevel::warn, "");

  // The next object with that alt file does not ask for it again.
  std::size_t fetches = cache.debuginfod()->fetches();
  symbols.reset();
  cache.expire_kept(SymbolCache::Clock::now() + std::chrono::seconds(10));  // read anew
  auto again = stripped_inlined_dwz(cache);
  OuterWorkNames named_again = outer_work_names(*again);
  EXPECT_EQ(named_again.mix_inlined, 0u);
  EXPECT_EQ(cache.debuginfod()->fetches(), fetches + 1) << "the debug file only";
  EXPECT_EQ(host.count(LogLevel::debug, "failed less than a retry interval ago"), 1u);
}

TEST(DebuginfodDwz, AnAltFileMissingOnTheServerLeavesTheDebugFilesOwnNames) {
  expect_fallback(Alt::missing, "No such file or directory");
}

TEST(DebuginfodDwz, ACorruptAltFileLeavesTheDebugFilesOwnNames) {
  // An ELF header with nothing behind it: no build id note.
  expect_fallback(Alt::corrupt, "has build id \"\", not " + dwz_build_id(alt_file()));
}

TEST(DebuginfodDwz, AnAltFileOfAnotherBuildIdIsNotTaken) {
  expect_fallback(Alt::other_build_id, "has build id \"" + dwz_build_id(EMBER_INLINED_DWZ) + "\"");
}

TEST(DebuginfodDwz, AnAltFileGoneSinceItWasFoundIsLeftOutWithANote) {
  ScratchDir scratch;
  fs::path copy = scratch.path() / "alt.debug";
  fs::copy_file(alt_file(), copy);
  MappedFile debug;
  ASSERT_TRUE(MappedFile::open_path(dwz_debug_file(), debug).is_ok());
  AltDebugFile alt;
  alt.build_id = dwz_build_id(alt_file());
  std::string error;
  ASSERT_TRUE(open_alt_file(copy.string(), alt, error)) << error;
  ElfFile elf;
  ASSERT_TRUE(ElfFile::open(dwz_debug_file(), elf).is_ok());
  std::optional<ElfSymbol> outer = elf.find_symbol("outer_work");
  ASSERT_TRUE(outer);

  DwarfPool pool(std::size_t{64} << 20, 8);
  std::uint64_t id = pool.add(dwz_debug_file(), debug.identity(), alt);
  fs::remove(copy);
  std::vector<SourceFunction> functions;
  EXPECT_TRUE(pool.lookup(id, outer->address, functions, error)) << error;
  EXPECT_NE(error.find("its dwz alt file " + copy.string() + " is gone"), std::string::npos)
      << error;

  // One libdw cannot read (not ELF): left out too, the DWARF's own lines kept.
  std::ofstream(copy) << "not an ELF file";
  std::unique_ptr<DwarfSource> source;
  std::string note;
  ASSERT_TRUE(DwarfSource::open(dwz_debug_file(), copy.string(), source, note).is_ok());
  EXPECT_NE(note.find("its dwz alt file is left out"), std::string::npos) << note;
  ASSERT_TRUE(source->lookup(outer->address, functions));
  EXPECT_GT(functions.back().line, 0u);
}

}  // namespace
}  // namespace ember::native

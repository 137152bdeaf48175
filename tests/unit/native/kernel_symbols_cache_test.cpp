#include "kernel_symbols_cache.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "ember/testing/fake_host.hpp"
#include "kernel_frames.hpp"
#include "native_plugin.hpp"
#include "resident_pages.hpp"
#include "scratch_dir.hpp"

namespace ember::native {
namespace {

using ember::test::mapped_kib_of;
using ember::test::resident_kib_of;
using ember::test::ScratchDir;

using test::kernel_frames;

constexpr std::string_view kCachedKallsyms =
    "ffffffff81000000 T _text\n"
    "ffffffff81000000 T _stext\n"
    "ffffffff81001000 t do_one_thing\n"
    "ffffffff81002000 T _etext\n"
    "ffffffffc0a01000 t ext4_fill_super\t[ext4]\n"
    "ffffffffc0b00000 t bpf_prog_6deef7357e7b4530_sample\t[bpf]\n";

void write(const std::string& path, std::string_view text) {
  std::ofstream(path, std::ios::binary) << text;
}

TEST(KernelSymbolsCache, SavedTableReadsBackWithoutTransientSymbols) {
  ScratchDir dir;
  KernelSymbols symbols = KernelSymbols::parse(kCachedKallsyms);
  ASSERT_TRUE(save_kernel_symbols(dir.file("kallsyms"), "key 1", symbols).is_ok());
  KernelSymbols read;
  ASSERT_TRUE(read_saved_kernel_symbols(dir.file("kallsyms"), "key 1", read).is_ok());
  EXPECT_EQ(read.find(0xffffffff81001010)->name, "do_one_thing");
  EXPECT_EQ(read.find(0xffffffffc0a01010)->module, "ext4");
  // A BPF program's symbol is stale by the next run: not kept.
  EXPECT_EQ(read.find(0xffffffffc0b00010)->name, "ext4_fill_super");
  ASSERT_EQ(read.image_text().size(), 1u);
  EXPECT_EQ(read.image_text()[0],
            (std::pair<std::uint64_t, std::uint64_t>{0xffffffff81000000, 0xffffffff81002000}));
  Status other = read_saved_kernel_symbols(dir.file("kallsyms"), "key 2", read);
  EXPECT_NE(other.message().find("another boot"), std::string::npos) << other.message();
}

TEST(KernelSymbolsCache, ABigTableIsSavedInPiecesNotCopiedWhole) {
  // 50,000 functions: a distribution kernel's table is ~5 MB, and made
  // whole in a string (twice, with the file's header) it was the agent's
  // highest heap on its first start.
  std::string kallsyms = "ffffffff81000000 T _stext\n";
  for (int i = 0; i < 50000; ++i) {
    char line[96];
    std::snprintf(line, sizeof line, "%016llx t a_kernel_function_named_%d\n",
                  0xffffffff81001000ull + 16ull * i, i);
    kallsyms += line;
  }
  kallsyms += "ffffffff81200000 T _etext\n";
  KernelSymbols symbols = KernelSymbols::parse(kallsyms);
  std::size_t pieces = 0;
  std::size_t total = 0;
  std::size_t largest_before_names = 0;
  std::size_t last = 0;
  ASSERT_TRUE(symbols.serialize([&](std::string_view piece) {
    largest_before_names = std::max(largest_before_names, last);
    last = piece.size();
    total += piece.size();
    ++pieces;
    return true;
  }));
  EXPECT_GT(total, 50000u * 16 + 50000u * 25);
  EXPECT_GT(pieces, 10u);
  EXPECT_LE(largest_before_names, 64u * 1024 + 16);

  // Saved through the pieces, every function reads back.
  ScratchDir dir;
  ASSERT_TRUE(save_kernel_symbols(dir.file("kallsyms"), "key", symbols).is_ok());
  KernelSymbols read;
  ASSERT_TRUE(read_saved_kernel_symbols(dir.file("kallsyms"), "key", read).is_ok());
  EXPECT_EQ(read.size(), symbols.size());
  for (int i : {0, 1, 4095, 4096, 25000, 49999}) {
    auto found = read.find(0xffffffff81001004ull + 16ull * i);
    ASSERT_TRUE(found) << i;
    EXPECT_EQ(found->name, "a_kernel_function_named_" + std::to_string(i));
  }

  // A sink that refuses stops the writing at once.
  pieces = 0;
  EXPECT_FALSE(symbols.serialize([&](std::string_view) { return ++pieces < 3; }));
  EXPECT_EQ(pieces, 3u);
}

// The reason a damaged file was refused; "" when it was read.
std::string refusal(const std::string& path, std::string_view bytes) {
  write(path, bytes);
  KernelSymbols read;
  Status status = read_saved_kernel_symbols(path, "key", read);
  return status ? "" : status.message();
}

TEST(KernelSymbolsCache, DamagedFilesAreRefusedSayingWhy) {
  ScratchDir dir;
  KernelSymbols symbols = KernelSymbols::parse(kCachedKallsyms);
  ASSERT_TRUE(save_kernel_symbols(dir.file("kallsyms"), "key", symbols).is_ok());
  std::string whole;
  {
    std::ifstream in(dir.file("kallsyms"), std::ios::binary);
    whole.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_EQ(refusal(dir.file("whole"), whole), "");
  std::string cut = dir.file("cut");
  for (std::size_t size = 0; size < whole.size(); size += 3) {
    std::string why = refusal(cut, std::string_view(whole).substr(0, size));
    EXPECT_EQ(why.rfind(cut + " ", 0), 0u) << size << ": " << why;
    // Cut inside the table (past the header and key): damaged.
    if (size >= whole.find("EMBERKS2") + 8) {
      EXPECT_NE(why.find(" is damaged: "), std::string::npos) << size << ": " << why;
    }
  }
  // The last name's NUL gone: a lookup would read past the names.
  std::string bad = whole;
  bad.back() = 'x';
  EXPECT_EQ(refusal(dir.file("bad"), bad), dir.file("bad") + " is damaged: its last name does not end");
  // A symbol's fields pointing elsewhere: do_one_thing's record is found by its address.
  std::uint64_t address = 0xffffffff81001000;
  std::size_t record = whole.find(std::string_view(reinterpret_cast<const char*>(&address), 8));
  ASSERT_NE(record, std::string::npos);
  auto patched = [&](std::size_t at, std::uint32_t value) {
    std::string bytes = whole;
    std::memcpy(bytes.data() + at, &value, sizeof value);
    return refusal(dir.file("patched"), bytes);
  };
  EXPECT_NE(patched(record + 8, 1 << 20).find("is damaged: its symbol 1 is out of place"),
            std::string::npos)
      << "a name offset past the names";
  EXPECT_NE(patched(record + 12, 99).find("is damaged: its symbol 1 is out of place"),
            std::string::npos)
      << "a module that is not listed";
  EXPECT_NE(patched(record + 4, 0).find("is damaged: its symbol 1 is out of place"),
            std::string::npos)
      << "an address before the one before";
  EXPECT_NE(refusal(dir.file("junk"), "EMBERKC2 and then nothing that parses").find(" was saved for another"),
            std::string::npos);
  EXPECT_NE(refusal(dir.file("other"), "not a table at all").find(" is not a saved kernel symbol table"),
            std::string::npos);
  KernelSymbols read;
  Status missing = read_saved_kernel_symbols(dir.file("missing"), "key", read);
  EXPECT_EQ(missing.message().rfind("cannot open " + dir.file("missing"), 0), 0u) << missing.message();
}

TEST(KernelSymbolsCache, KeyFollowsBootModulesAndSource) {
  ScratchDir dir;
  write(dir.file("boot_id"), "ae518b67-db09-4a30-9a28-7583954c7212\n");
  write(dir.file("modules"), "ext4 1081344 2 - Live 0xffffffffc0a00000\n");
  write(dir.file("kallsyms"), kCachedKallsyms);
  KernelSymbolsSources sources{dir.file("kallsyms"), dir.file("boot_id"), dir.file("modules")};
  KernelSymbolsKey first, again, other;
  ASSERT_TRUE(kernel_symbols_key(sources, first).is_ok());
  ASSERT_EQ(first.modules.size(), 1u);
  EXPECT_EQ(first.modules[0],
            (std::pair<std::uint64_t, std::uint64_t>{0xffffffffc0a00000, 0xffffffffc0b08000}));
  // A module's reference count changes, its code does not move.
  write(dir.file("modules"), "ext4 1081344 7 nfs, Live 0xffffffffc0a00000\n");
  ASSERT_TRUE(kernel_symbols_key(sources, again).is_ok());
  EXPECT_EQ(first.text, again.text);
  write(dir.file("modules"), "ext4 1081344 2 - Live 0xffffffffc0c00000\n");
  ASSERT_TRUE(kernel_symbols_key(sources, other).is_ok());
  EXPECT_NE(first.text, other.text);
  write(dir.file("boot_id"), "0e518b67-db09-4a30-9a28-7583954c7212\n");
  ASSERT_TRUE(kernel_symbols_key(sources, other).is_ok());
  EXPECT_NE(again.text, other.text);
  sources.boot_id = dir.file("none");
  EXPECT_FALSE(kernel_symbols_key(sources, other).is_ok());
}

// A plugin reading `kallsyms` and saving its table under `dir`/cache.
Options saving_options(const ScratchDir& dir) {
  return {{"kallsyms_path", {dir.file("kallsyms"), ""}}, {"cache_dir", {dir.file("cache"), ""}}};
}

// The first start on a boot: a plugin names `addresses` (reading kallsyms
// and saving the table) and is gone. Returns the saved table's path.
std::string first_start(const ScratchDir& dir, std::vector<__u64> addresses,
                        std::vector<FrameHandle>& frames) {
  ember::testkit::FakeHost host;
  NativePlugin plugin;
  Status status = plugin.configure(saving_options(dir), host);
  EXPECT_TRUE(status.is_ok()) << status.message();
  if (status) frames = kernel_frames(plugin, std::move(addresses));
  return saved_kernel_symbols_path(dir.file("cache"), dir.file("kallsyms"));
}

TEST(KernelSymbolizer, SecondStartReadsTheSavedTableAndReadsLiveOnlyOutsideIt) {
  ScratchDir dir;
  write(dir.file("kallsyms"), kCachedKallsyms);
  std::vector<FrameHandle> frames;
  std::string saved = first_start(dir, {0xffffffff81001010}, frames);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0]->name, "do_one_thing");
  ASSERT_TRUE(std::filesystem::exists(saved));
  EXPECT_NE(saved, saved_kernel_symbols_path(dir.file("cache"), "/proc/kallsyms"));
  // Same key, other contents: what the next start names proves it read the copy.
  KernelSymbolsKey key;
  ASSERT_TRUE(kernel_symbols_key({.kallsyms = dir.file("kallsyms")}, key).is_ok());
  KernelSymbols other = KernelSymbols::parse(
      "ffffffff81000000 T _stext\nffffffff81001000 t saved_thing\nffffffff81002000 T _etext\n");
  ASSERT_TRUE(save_kernel_symbols(saved, key.text, other).is_ok());
  ember::testkit::FakeHost host;
  NativePlugin plugin;
  ASSERT_TRUE(plugin.configure(saving_options(dir), host).is_ok());
  EXPECT_EQ(kernel_frames(plugin, {0xffffffff81001010})[0]->name, "saved_thing");
  // Beyond the image's text and every module: a BPF program, only the live file knows it.
  EXPECT_EQ(kernel_frames(plugin, {0xffffffffc0b00010})[0]->name,
            "bpf_prog_6deef7357e7b4530_sample");
  // The saved table still names what it covers: the live read kept only the rest.
  EXPECT_EQ(kernel_frames(plugin, {0xffffffff81001020})[0]->name, "saved_thing");
}

TEST(KernelSymbolizer, SavedTableLookupsLeaveNoPagesOfItResident) {
  // A kernel's worth of symbols: ~4 MB saved.
  constexpr std::uint64_t kStart = 0xffffffff81000000;
  constexpr int kSymbols = 120000;
  std::string kallsyms = "ffffffff81000000 T _stext\n";
  char line[96];
  for (int i = 1; i <= kSymbols; ++i) {
    std::snprintf(line, sizeof line, "%016llx t some_kernel_function_number_%d\n",
                  static_cast<unsigned long long>(kStart + i * 0x100ull), i);
    kallsyms += line;
  }
  std::snprintf(line, sizeof line, "%016llx T _etext\n",
                static_cast<unsigned long long>(kStart + (kSymbols + 1) * 0x100ull));
  kallsyms += line;
  ScratchDir dir;
  write(dir.file("kallsyms"), kallsyms);
  std::vector<FrameHandle> frames;
  std::string saved = first_start(dir, {kStart + 0x110}, frames);
  ASSERT_GT(std::filesystem::file_size(saved), std::uintmax_t{3} << 20);

  ember::testkit::FakeHost host;
  NativePlugin plugin;
  ASSERT_TRUE(plugin.configure(saving_options(dir), host).is_ok());
  // New addresses all over the table, as a busy host's stacks bring them.
  std::vector<__u64> addresses;
  for (int i = 1; i <= kSymbols; i += 97) addresses.push_back(kStart + i * 0x100ull + 0x11);
  frames = kernel_frames(plugin, addresses);
  ASSERT_EQ(frames.size(), addresses.size());
  EXPECT_EQ(frames[0]->name, "some_kernel_function_number_1");
  EXPECT_EQ(frames.back()->name,
            "some_kernel_function_number_" + std::to_string(1 + (kSymbols - 1) / 97 * 97));
  EXPECT_EQ(host.count(LogLevel::debug, "kernel symbols read from " + saved), 1u);
  // Looked up with pread, not through a mapping whose pages would stay.
  EXPECT_EQ(mapped_kib_of(saved), 0u) << "the saved table is mapped";
  EXPECT_EQ(resident_kib_of(saved), 0u) << "the saved table's pages the lookups touched stayed";
}

TEST(KernelSymbolizer, FirstStartLooksUpTheTableItSaved) {
  ScratchDir dir;
  write(dir.file("kallsyms"), kCachedKallsyms);
  ember::testkit::FakeHost host;
  NativePlugin plugin;
  ASSERT_TRUE(plugin.configure(saving_options(dir), host).is_ok());
  EXPECT_EQ(kernel_frames(plugin, {0xffffffff81001010})[0]->name, "do_one_thing");
  std::string saved = saved_kernel_symbols_path(dir.file("cache"), dir.file("kallsyms"));
  EXPECT_EQ(host.count(LogLevel::debug, "kernel symbols read from " + saved), 1u)
      << "the table parsed from kallsyms is kept in the heap";
  EXPECT_EQ(kernel_frames(plugin, {0xffffffffc0a01010})[0]->name, "ext4_fill_super");
  // Left out of the saved table, read from kallsyms again.
  EXPECT_EQ(kernel_frames(plugin, {0xffffffffc0b00010})[0]->name,
            "bpf_prog_6deef7357e7b4530_sample");
}

TEST(KernelSymbols, LoadKeepsOnlyTheSymbolsAsked) {
  ScratchDir dir;
  write(dir.file("kallsyms"), kCachedKallsyms);
  KernelSymbols outside;
  ASSERT_TRUE(KernelSymbols::load(dir.file("kallsyms"), outside,
                                  [](std::uint64_t at) { return at >= 0xffffffffc0b00000; })
                  .is_ok());
  EXPECT_EQ(outside.size(), 1u);
  EXPECT_EQ(outside.find(0xffffffffc0b00010)->name, "bpf_prog_6deef7357e7b4530_sample");
  EXPECT_FALSE(outside.find(0xffffffff81001010));
  EXPECT_FALSE(outside.restricted());
}

TEST(KernelSymbolizer, RejectsARelativeCacheDir) {
  ember::testkit::FakeHost host;
  NativePlugin plugin;
  EXPECT_FALSE(plugin.configure({{"cache_dir", {std::string("var/cache"), ""}}}, host).is_ok());
}

}  // namespace
}  // namespace ember::native

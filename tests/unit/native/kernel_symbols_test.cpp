#include "kernel_symbols.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "ember/testing/fake_host.hpp"
#include "kernel_frames.hpp"
#include "native_plugin.hpp"
#include "scratch_dir.hpp"

namespace ember::native {
namespace {

using test::kernel_frames;

constexpr std::string_view kKallsyms =
    "ffffffff81000000 T _text\n"
    "ffffffff81000000 T startup_64\n"
    "ffffffff81001000 t do_one_thing\n"
    "ffffffff81001800 D some_data\n"
    "ffffffff81002000 W weak_function\n"
    "ffffffff81003000 T _etext\n"
    "0000000000000000 A fixed_percpu_data\n"
    "ffffffffc0a01000 t ext4_fill_super\t[ext4]\n"
    "ffffffffc0a02000 T ext4_read_inode\t[ext4]\n"
    "ffffffffc0b00000 t bpf_prog_6deef7357e7b4530_sample\t[bpf]\n"
    "not a line\n";

TEST(KernelSymbols, ParsesCodeSymbolsWithModules) {
  KernelSymbols symbols = KernelSymbols::parse(kKallsyms);
  EXPECT_FALSE(symbols.restricted());
  auto first = symbols.find(0xffffffff81000010);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->name, "_text");  // of two aliases, the first listed
  EXPECT_EQ(first->module, "");
  // Data symbols do not split functions.
  EXPECT_EQ(symbols.find(0xffffffff81001900)->name, "do_one_thing");
  EXPECT_EQ(symbols.find(0xffffffff81002001)->name, "weak_function");
  auto module = symbols.find(0xffffffffc0a01234);
  ASSERT_TRUE(module);
  EXPECT_EQ(module->name, "ext4_fill_super");
  EXPECT_EQ(module->module, "ext4");
  EXPECT_EQ(symbols.find(0xffffffffc0b00010)->module, "bpf");
  EXPECT_FALSE(symbols.find(0xffffffff80000000)) << "before the first symbol";
  EXPECT_FALSE(symbols.find(0xffffffffc0900000)) << "in the gap between image and modules";
}

TEST(KernelSymbols, AllZeroAddressesMeanRestricted) {
  KernelSymbols symbols = KernelSymbols::parse(
      "0000000000000000 T _text\n0000000000000000 t do_one_thing\n0000000000000000 T x\t[ext4]\n");
  EXPECT_TRUE(symbols.restricted());
  EXPECT_FALSE(symbols.find(0xffffffff81000010));
}

std::string write_temp(const ember::test::ScratchDir& dir, const std::string& text) {
  std::string path = dir.file("kallsyms");
  std::ofstream(path) << text;
  return path;
}

TEST(KernelSymbolizer, RestrictedKallsymsNamesFramesByAddressAndWarnsOnce) {
  ember::test::ScratchDir dir("ember-kallsyms");
  std::string path = write_temp(dir, "0000000000000000 T _text\n0000000000000000 T schedule\n");
  ember::testkit::FakeHost host;
  NativePlugin plugin;
  ASSERT_TRUE(
      plugin.configure({{"kallsyms_path", {path, ""}}, {"cache_dir", {std::string(), ""}}}, host)
          .is_ok());
  auto frames = kernel_frames(plugin, {0xffffffff81234567, 0xffffffff81000010});
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0]->name, "[kernel]+0xffffffff81234567");
  EXPECT_EQ(frames[0]->kind, frame_kind::kernel);
  EXPECT_EQ(frames[1]->name, "[kernel]+0xffffffff8100000f");  // a return address
  kernel_frames(plugin, {0xffffffff81234567});
  EXPECT_EQ(host.count(LogLevel::warn, "kptr_restrict"), 1u);
}

TEST(KernelSymbolizer, ReturnAddressAtTheStartOfTheNextFunction) {
  ember::test::ScratchDir dir("ember-kallsyms");
  std::string path = write_temp(dir, std::string(kKallsyms));
  ember::testkit::FakeHost host;
  NativePlugin plugin;
  ASSERT_TRUE(
      plugin.configure({{"kallsyms_path", {path, ""}}, {"cache_dir", {std::string(), ""}}}, host)
          .is_ok());
  // As the leaf the address is the exact IP; further up it is a return address.
  auto frames = kernel_frames(plugin, {0xffffffff81002000, 0xffffffff81002000, 0xffffffffc0a02010});
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0]->name, "weak_function");
  EXPECT_EQ(frames[1]->name, "do_one_thing");
  EXPECT_EQ(frames[1]->module, "vmlinux");
  EXPECT_EQ(frames[2]->name, "ext4_read_inode");
  EXPECT_EQ(frames[2]->module, "ext4");
  // One frame object per function, whatever the address inside it.
  EXPECT_EQ(kernel_frames(plugin, {0xffffffffc0a02010})[0].get(), frames[2].get());
  EXPECT_EQ(kernel_frames(plugin, {0xffffffffc0a02400})[0].get(), frames[2].get());
}

// Thousands of functions through a cache of 64 addresses: every address is
// named by its own function whichever generation of the cache it lands in
// (the cache is emptied every ~20 lookups here).
TEST(KernelSymbolizer, ManyFunctionsThroughASmallCacheKeepTheirNames) {
  constexpr int kFunctions = 3000;
  constexpr std::uint64_t kBase = 0xffffffff81000000;
  std::string text = "ffffffff81000000 T _text\n";
  for (int i = 0; i < kFunctions; ++i) {
    char line[64];
    std::snprintf(line, sizeof(line), "%016llx t function_%d\n",
                  static_cast<unsigned long long>(kBase + 0x100 * (i + 1)), i);
    text += line;
  }
  text += "ffffffff81200000 T _etext\n";
  ember::test::ScratchDir dir("ember-kallsyms");
  std::string path = write_temp(dir, text);
  ember::testkit::FakeHost host;
  NativePlugin plugin;
  ASSERT_TRUE(plugin
                  .configure({{"kallsyms_path", {path, ""}},
                              {"cache_dir", {std::string(), ""}},
                              {"max_cached_frames", {std::int64_t{64}, ""}}},
                             host)
                  .is_ok());
  for (int pass = 0; pass < 2; ++pass) {
    for (int i = 0; i < kFunctions; i += 7) {
      const std::uint64_t start = kBase + 0x100 * (i + 1);
      // The leaf at the function's first byte, return addresses inside it.
      auto frames = kernel_frames(plugin, {start, start + 0x11, start + 0xff});
      ASSERT_EQ(frames.size(), 3u);
      const std::string name = "function_" + std::to_string(i);
      for (const auto& frame : frames) ASSERT_EQ(frame->name, name) << "pass " << pass;
    }
  }
}

// Symbols of the running kernel whose address no other code symbol shares.
std::map<std::string, std::pair<__u64, std::string>> unique_kernel_symbols(bool& all_zero) {
  std::ifstream in("/proc/kallsyms");
  std::map<__u64, int> uses;
  std::vector<std::tuple<__u64, std::string, std::string>> symbols;
  std::string line;
  all_zero = true;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string address, type, name, module;
    fields >> address >> type >> name >> module;
    if (type != "t" && type != "T") continue;
    __u64 value = std::stoull(address, nullptr, 16);
    all_zero &= value == 0;
    ++uses[value];
    if (module.size() > 2) module = module.substr(1, module.size() - 2);
    symbols.emplace_back(value, name, module);
  }
  std::map<std::string, std::pair<__u64, std::string>> unique;
  for (const auto& [address, name, module] : symbols) {
    if (uses[address] == 1 && uses.count(address + 1) == 0) unique[name] = {address, module};
  }
  return unique;
}

TEST(KernelSymbolizer, RealKallsymsSymbolResolvesToItself) {
  bool all_zero = false;
  auto symbols = unique_kernel_symbols(all_zero);
  if (all_zero && geteuid() != 0) {
    GTEST_SKIP() << "/proc/kallsyms shows zero addresses (kptr_restrict) and this is not root";
  }
  ASSERT_FALSE(symbols.empty());
  ember::testkit::FakeHost host;
  NativePlugin plugin;
  ASSERT_TRUE(plugin.configure({}, host).is_ok());
  int checked = 0;
  for (const auto& [name, where] : symbols) {
    if (!where.second.empty()) continue;  // the image's symbols; modules come and go
    auto frames = kernel_frames(plugin, {where.first, where.first + 1});
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_EQ(frames[0]->name, name);
    EXPECT_EQ(frames[1]->name, name) << "return address inside " << name;
    EXPECT_EQ(frames[0]->kind, frame_kind::kernel);
    EXPECT_EQ(frames[0]->module, where.second.empty() ? "vmlinux" : where.second);
    if (++checked == 20) break;
  }
  EXPECT_GT(checked, 0);
  EXPECT_EQ(host.count(LogLevel::warn, ""), 0u);
}

}  // namespace
}  // namespace ember::native

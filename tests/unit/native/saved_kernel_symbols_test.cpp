// A saved kernel symbol table looked up from its file names every address as
// the whole table read into the heap does.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "kernel_symbols.hpp"
#include "kernel_symbols_cache.hpp"
#include "resident_pages.hpp"
#include "scratch_dir.hpp"

namespace ember::native {
namespace {

using ember::test::ScratchDir;

// kallsyms text: the image's text with aliases, data symbols and a name
// longer than one read of a name, then three modules' symbols.
std::string made_up_kallsyms(std::vector<std::uint64_t>& starts) {
  std::string text;
  char line[512];
  auto add = [&](std::uint64_t address, char type, const std::string& name,
                 const std::string& module = "") {
    std::snprintf(line, sizeof line, "%016llx %c %s%s\n", static_cast<unsigned long long>(address),
                  type, name.c_str(), module.empty() ? "" : ("\t[" + module + "]").c_str());
    text += line;
    if (type == 't' || type == 'T' || type == 'w' || type == 'W') starts.push_back(address);
  };
  std::uint64_t at = 0xffffffff81000000;
  add(at, 'T', "_text");
  add(at, 'T', "_stext");
  for (int i = 0; i < 1000; ++i) {  // 15 whole blocks of the index and part of one
    at += 0x10 + static_cast<std::uint64_t>(i * 37 % 0x400);
    std::string name = i == 500 ? std::string(300, 'l') + "_long_name" : "f" + std::to_string(i);
    add(at, i % 3 ? 't' : 'T', name);
    if (i % 50 == 0) add(at, 't', name + "_alias");
    if (i % 7 == 0) add(at + 8, 'D', "data" + std::to_string(i));
  }
  add(at + 0x100, 'T', "_etext");
  at = 0xffffffffc0a00000;
  for (const char* module : {"ext4", "nf_tables", "xfs"}) {
    for (int i = 0; i < 90; ++i) {
      at += 0x40 + static_cast<std::uint64_t>(i * 13 % 0x200);
      add(at, i % 2 ? 't' : 'T', std::string(module) + "_fn" + std::to_string(i), module);
    }
    at += 0x100000;
  }
  std::sort(starts.begin(), starts.end());
  starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
  return text;
}

// Every kind of address: each symbol's first byte, the byte before and after
// it and the middle to the next one; before the first; past the last, within
// and beyond a function's reach; the gap between image and modules.
std::vector<std::uint64_t> probes(const std::vector<std::uint64_t>& starts) {
  std::vector<std::uint64_t> out{0, 1, starts.front() - 1, std::numeric_limits<std::uint64_t>::max()};
  for (std::size_t i = 0; i < starts.size(); ++i) {
    out.insert(out.end(), {starts[i] - 1, starts[i], starts[i] + 1});
    if (i + 1 < starts.size()) out.push_back(starts[i] + (starts[i + 1] - starts[i]) / 2);
  }
  std::uint64_t last = starts.back();
  out.insert(out.end(), {last + (1 << 20) - 1, last + (1 << 20), last + (1ull << 32),
                         0xffffffffa0000000});
  return out;
}

std::string describe(const std::optional<KernelSymbols::Found>& found) {
  if (!found) return "nothing";
  std::ostringstream text;
  text << found->name << " [" << found->module << "] at " << std::hex << found->address;
  return text.str();
}

// How many of `addresses` the two tables name differently (each reported).
int differences(const KernelSymbols& reference, const KernelSymbols& saved,
                const std::vector<std::uint64_t>& addresses) {
  int different = 0;
  for (std::uint64_t address : addresses) {
    std::string expected = describe(reference.find(address));
    std::string got = describe(saved.find(address));
    if (expected != got && ++different <= 10) {
      ADD_FAILURE() << std::hex << address << ": " << got << ", the whole table says " << expected;
    }
  }
  return different;
}

TEST(SavedKernelSymbols, LookupsFromTheFileEqualTheWholeTable) {
  std::vector<std::uint64_t> starts;
  KernelSymbols reference = KernelSymbols::parse(made_up_kallsyms(starts));
  ASSERT_GT(reference.size(), 6 * KernelSymbols::kIndexStride);
  ScratchDir dir;
  ASSERT_TRUE(save_kernel_symbols(dir.file("saved"), "key", reference).is_ok());
  KernelSymbols saved;
  Status status = read_saved_kernel_symbols(dir.file("saved"), "key", saved);
  ASSERT_TRUE(status.is_ok()) << status.message();
  EXPECT_EQ(saved.size(), reference.size());
  EXPECT_EQ(saved.image_text(), reference.image_text());
  std::vector<std::uint64_t> addresses = probes(starts);
  EXPECT_EQ(differences(reference, saved, addresses), 0) << "of " << addresses.size();
  EXPECT_EQ(saved.find(starts[0] + 8)->name, "_text") << "of two aliases, the first listed";
  // The heap holds the index, not the table.
  EXPECT_LT(saved.heap_bytes(), reference.heap_bytes() / 10);
  EXPECT_EQ(ember::test::mapped_kib_of(dir.file("saved")), 0u) << "the saved table is mapped";
}

// The running kernel's table, where kallsyms shows addresses.
TEST(SavedKernelSymbols, RealKallsymsLookupsFromTheFileEqualTheWholeTable) {
  KernelSymbols reference;
  ASSERT_TRUE(KernelSymbols::load("/proc/kallsyms", reference).is_ok());
  if (reference.restricted() && geteuid() != 0) {
    GTEST_SKIP() << "/proc/kallsyms shows zero addresses (kptr_restrict) and this is not root";
  }
  ASSERT_FALSE(reference.restricted());
  std::vector<std::uint64_t> starts;
  {
    std::ifstream in("/proc/kallsyms");
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string address, type, name, module;
      fields >> address >> type >> name >> module;
      // BPF programs and trampolines are not saved: the whole table names them.
      if (module == "[bpf]" || module.rfind("[__builtin__", 0) == 0) continue;
      if (type == "t" || type == "T") starts.push_back(std::stoull(address, nullptr, 16));
    }
  }
  std::sort(starts.begin(), starts.end());
  starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
  ScratchDir dir;
  ASSERT_TRUE(save_kernel_symbols(dir.file("saved"), "key", reference).is_ok());
  KernelSymbols saved;
  ASSERT_TRUE(read_saved_kernel_symbols(dir.file("saved"), "key", saved).is_ok());
  std::vector<std::uint64_t> addresses;
  for (std::size_t i = 0; i < starts.size(); i += 13) {
    // Not where a BPF program or a trampoline sits.
    auto found = reference.find(starts[i] + 1);
    if (found && (found->module == "bpf" || found->module.starts_with("__builtin__"))) continue;
    addresses.insert(addresses.end(), {starts[i], starts[i] + 1});
  }
  ASSERT_GT(addresses.size(), 1000u);
  EXPECT_EQ(differences(reference, saved, addresses), 0) << "of " << addresses.size();
}

TEST(SavedKernelSymbols, AFileCutAfterItWasReadNamesNothingAndDoesNotCrash) {
  std::vector<std::uint64_t> starts;
  KernelSymbols reference = KernelSymbols::parse(made_up_kallsyms(starts));
  ScratchDir dir;
  ASSERT_TRUE(save_kernel_symbols(dir.file("saved"), "key", reference).is_ok());
  KernelSymbols saved;
  ASSERT_TRUE(read_saved_kernel_symbols(dir.file("saved"), "key", saved).is_ok());
  EXPECT_TRUE(saved.find(starts.back()));
  // Rewritten in place (the agent only ever renames a new one over it).
  ASSERT_EQ(::truncate(dir.file("saved").c_str(), 4096), 0);
  EXPECT_FALSE(saved.find(starts.back()));
  EXPECT_FALSE(saved.find(starts[1] + 1)) << "its name was past the cut";
}

}  // namespace
}  // namespace ember::native

#include "ember/elf_file.hpp"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <random>
#include <set>

#include "ember/proc_maps.hpp"
#include "fixture_process.hpp"

namespace ember {
namespace {

using ember_test::fixture_path;
using ember_test::nm_symbol;
using ember_test::read_nm;

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Reads `bytes` as an ELF file from an in-memory file.
Status open_bytes(const std::string& bytes, ElfFile& out) {
  int fd = memfd_create("ember-elf-test", MFD_CLOEXEC);
  if (fd < 0) return Status::error("memfd_create failed");
  if (!bytes.empty() && write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) {
    close(fd);
    return Status::error("write failed");
  }
  Status status = ElfFile::open_fd(fd, "memfd", out);
  close(fd);
  return status;
}

ElfFile open_fixture(const std::string& name, const ElfReadOptions& options = {}) {
  ElfFile file;
  Status status = ElfFile::open(fixture_path(name), file, options);
  EXPECT_TRUE(status.is_ok()) << status.message();
  return file;
}

bool is_nm_function(char type) { return type == 'T' || type == 't' || type == 'W' || type == 'i'; }

TEST(ElfFile, MissingFileIsAClearError) {
  ElfFile file;
  Status status = ElfFile::open("/nonexistent/ember/libnothing.so", file);
  ASSERT_FALSE(status.is_ok());
  EXPECT_NE(status.message().find("/nonexistent/ember/libnothing.so"), std::string::npos);
  EXPECT_NE(status.message().find("No such file"), std::string::npos) << status.message();
}

TEST(ElfFile, NonElfFilesAreErrors) {
  ElfFile file;
  Status text = open_bytes("#!/bin/sh\necho hello\n", file);
  ASSERT_FALSE(text.is_ok());
  EXPECT_NE(text.message().find("not an ELF file"), std::string::npos) << text.message();
  EXPECT_FALSE(open_bytes("", file).is_ok());
  EXPECT_FALSE(open_bytes("\x7f" "ELF", file).is_ok());
}

TEST(ElfFile, TypeOfEachKindOfObject) {
  EXPECT_EQ(open_fixture("ember_fixture_nopie").type(), ElfType::executable);
  EXPECT_EQ(open_fixture("ember_fixture_pie").type(), ElfType::shared_object);
  EXPECT_EQ(open_fixture("libember_fixture_lib.so").type(), ElfType::shared_object);
}

TEST(ElfFile, BuildIdMatchesReadelf) {
  for (const char* name : {"ember_fixture_nopie", "ember_fixture_pie", "libember_fixture_lib.so"}) {
    std::string expected = ember_test::readelf_build_id(name);
    ASSERT_FALSE(expected.empty()) << name << " was linked without a build id";
    EXPECT_EQ(open_fixture(name).build_id(), expected) << name;
  }
  // Stripping keeps the note, so the stripped copy shares the id.
  EXPECT_EQ(open_fixture("ember_fixture_pie_stripped").build_id(),
            ember_test::readelf_build_id("ember_fixture_pie"));
}

TEST(ElfFile, EveryNmFunctionIsFoundAtItsAddress) {
  for (const char* name : {"ember_fixture_nopie", "ember_fixture_pie", "libember_fixture_lib.so"}) {
    ElfFile file = open_fixture(name);
    std::multimap<std::uint64_t, std::string> names_at;
    std::size_t checked = 0;
    for (const auto& symbol : read_nm(name)) {
      if (is_nm_function(symbol.type)) names_at.emplace(symbol.address, symbol.name);
    }
    for (const auto& symbol : read_nm(name)) {
      if (!is_nm_function(symbol.type) || symbol.size == 0) continue;
      for (std::uint64_t address : {symbol.address, symbol.address + symbol.size - 1}) {
        auto found = file.find_function(address);
        ASSERT_TRUE(found) << name << ": " << symbol.name << " at 0x" << std::hex << address;
        EXPECT_EQ(found->address, symbol.address) << symbol.name;
        auto [first, last] = names_at.equal_range(symbol.address);
        bool alias = false;
        for (auto it = first; it != last; ++it) alias |= it->second == found->name;
        EXPECT_TRUE(alias) << found->name << " is not a name of 0x" << std::hex << symbol.address;
      }
      ++checked;
    }
    EXPECT_GT(checked, 3u) << name;
  }
}

TEST(ElfFile, FunctionsAreSortedAndUnique) {
  ElfFile file = open_fixture("ember_fixture_pie");
  ASSERT_GT(file.function_count(), 5u);
  for (std::size_t i = 1; i < file.function_count(); ++i) {
    EXPECT_LT(file.function(i - 1).address, file.function(i).address);
    EXPECT_LE(file.function(i - 1).address + file.function(i - 1).size, file.function(i).address);
  }
}

TEST(ElfFile, KnownNamesResolve) {
  ElfFile file = open_fixture("ember_fixture_pie");
  auto compute = nm_symbol("ember_fixture_pie", "_ZN13ember_fixture5OuterIiE7computeEi");
  auto found = file.find_function(compute.address + 1);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->name, "_ZN13ember_fixture5OuterIiE7computeEi");
  EXPECT_EQ(found->size, compute.size);
  EXPECT_EQ(found->kind, SymbolKind::function);
  EXPECT_FALSE(file.find_function(0));
}

TEST(ElfFile, ZeroSizeFunctionReachesTheNextSymbol) {
  ElfFile file = open_fixture("ember_fixture_pie");
  auto asm_symbol = nm_symbol("ember_fixture_pie", "ember_fixture_asm_nosize");
  EXPECT_EQ(asm_symbol.size, 0u) << "the fixture's asm function should have no .size";
  auto found = file.find_function(asm_symbol.address + 7);  // its ret
  ASSERT_TRUE(found);
  EXPECT_EQ(found->name, "ember_fixture_asm_nosize");
  EXPECT_GE(found->size, 8u);
}

TEST(ElfFile, GlobalNameWinsOverHiddenAlias) {
  ElfFile file = open_fixture("libember_fixture_lib.so");
  auto exported = nm_symbol("libember_fixture_lib.so", "ember_fixture_lib_function");
  auto found = file.find_function(exported.address);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->name, "ember_fixture_lib_function");
}

TEST(ElfFile, FindSymbolByNameIncludingObjects) {
  ElfFile file = open_fixture("ember_fixture_pie");
  auto data = file.find_symbol("ember_fixture_data_object");
  ASSERT_TRUE(data);
  EXPECT_EQ(data->kind, SymbolKind::object);
  EXPECT_EQ(data->address, nm_symbol("ember_fixture_pie", "ember_fixture_data_object").address);
  EXPECT_EQ(data->size, 16 * sizeof(int));
  auto function = file.find_symbol("ember_fixture_c_function");
  ASSERT_TRUE(function);
  EXPECT_EQ(function->kind, SymbolKind::function);
  EXPECT_FALSE(file.find_symbol("ember_no_such_symbol"));

  ElfFile lean = open_fixture("ember_fixture_pie", ElfReadOptions{.data_symbols = false});
  EXPECT_FALSE(lean.find_symbol("ember_fixture_data_object"));
  EXPECT_TRUE(lean.find_symbol("ember_fixture_c_function"));
  EXPECT_LT(lean.memory_bytes(), file.memory_bytes());

  ElfFile lib = open_fixture("libember_fixture_lib.so");
  auto counter = lib.find_symbol("ember_fixture_lib_counter");
  ASSERT_TRUE(counter);
  EXPECT_EQ(counter->address, nm_symbol("libember_fixture_lib.so", "ember_fixture_lib_counter").address);
}

TEST(ElfFile, OnlyTheNamesAskedAreKept) {
  ElfFile file = open_fixture("ember_fixture_pie");
  ElfFile few = open_fixture("ember_fixture_pie",
                             ElfReadOptions{.only_names = {"ember_fixture_data_object",
                                                           "ember_fixture_c_function"}});
  for (const char* name : {"ember_fixture_data_object", "ember_fixture_c_function"}) {
    auto kept = few.find_symbol(name);
    ASSERT_TRUE(kept) << name;
    EXPECT_EQ(kept->address, file.find_symbol(name)->address);
    EXPECT_EQ(kept->kind, file.find_symbol(name)->kind);
  }
  EXPECT_EQ(few.function_count(), 1u);
  EXPECT_GT(file.function_count(), 10u);
  EXPECT_FALSE(few.find_symbol("main"));
  EXPECT_LT(few.memory_bytes(), file.memory_bytes());
}

TEST(ElfFile, WithoutSymbolsTheBuildIdAndSegmentsStillRead) {
  ElfFile file = open_fixture("ember_fixture_pie");
  ElfFile bare = open_fixture("ember_fixture_pie", ElfReadOptions{.symbols = false});
  EXPECT_FALSE(bare.build_id().empty());
  EXPECT_EQ(bare.build_id(), file.build_id());
  EXPECT_EQ(bare.load_segments().size(), file.load_segments().size());
  EXPECT_EQ(bare.function_count(), 0u);
  EXPECT_FALSE(bare.find_symbol("ember_fixture_data_object"));
}

TEST(ElfFile, StrippedFileKeepsOnlyDynamicSymbols) {
  ElfFile stripped = open_fixture("ember_fixture_pie_stripped");
  EXPECT_FALSE(stripped.find_symbol("ember_fixture_c_function"));
  auto compute = nm_symbol("ember_fixture_pie", "_ZN13ember_fixture5OuterIiE7computeEi");
  EXPECT_FALSE(stripped.find_function(compute.address));
  EXPECT_FALSE(stripped.load_segments().empty());
}

TEST(ElfFile, LoadBiasOfNonPieIsZeroAndOfPieIsTheBase) {
  for (const char* name : {"ember_fixture_nopie", "ember_fixture_pie"}) {
    ElfFile file = open_fixture(name);
    const ElfLoadSegment* text = nullptr;
    for (const auto& segment : file.load_segments()) {
      if (segment.executable) text = &segment;
    }
    ASSERT_NE(text, nullptr) << name;
    std::uint64_t page = static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
    std::uint64_t base = file.type() == ElfType::executable ? 0 : 0x555555550000;
    std::uint64_t map_offset = text->offset & ~(page - 1);
    std::uint64_t map_start = base + (text->vaddr & ~(page - 1));
    auto bias = file.load_bias(map_start, map_offset);
    ASSERT_TRUE(bias) << name;
    EXPECT_EQ(*bias, base) << name;
    EXPECT_FALSE(file.load_bias(map_start, 0x7fff0000000)) << "offset past every segment";
  }
}

__attribute__((noinline)) int function_in_this_test(int x) {
  __asm__ volatile("" : "+r"(x));
  return x + 1;
}

TEST(ElfFile, LoadBiasOfTheRunningTestBinary) {
  std::vector<Mapping> maps;
  ASSERT_TRUE(read_proc_maps(static_cast<std::uint32_t>(getpid()), maps).is_ok());
  auto address = reinterpret_cast<std::uint64_t>(&function_in_this_test);
  const Mapping* mapping = find_mapping(maps, address);
  ASSERT_NE(mapping, nullptr);
  ElfFile self;
  ASSERT_TRUE(ElfFile::open("/proc/self/exe", self).is_ok());
  auto bias = self.load_bias(mapping->start, mapping->offset);
  ASSERT_TRUE(bias);
  auto found = self.find_function(address - *bias);
  ASSERT_TRUE(found);
  EXPECT_NE(found->name.find("function_in_this_test"), std::string_view::npos) << found->name;
}

TEST(ElfFile, TruncatedFilesNeverCrash) {
  std::string bytes = read_bytes(fixture_path("ember_fixture_pie"));
  ASSERT_GT(bytes.size(), 4096u);
  for (std::size_t size : {std::size_t{1}, std::size_t{16}, std::size_t{63}, std::size_t{64},
                           std::size_t{200}, std::size_t{4096}, bytes.size() / 2, bytes.size() - 1}) {
    ElfFile file;
    Status status = open_bytes(bytes.substr(0, size), file);
    if (size < 64) {
      EXPECT_FALSE(status.is_ok()) << size;
    }
    // Section headers sit at the end: without them there are no symbols, but no crash.
    if (status) {
      EXPECT_FALSE(file.find_symbol("ember_fixture_c_function").has_value()) << size;
    }
  }
}

TEST(ElfFile, CorruptFilesNeverCrash) {
  std::string original = read_bytes(fixture_path("libember_fixture_lib.so"));
  std::mt19937 random(1234);
  std::size_t failures = 0;
  for (int round = 0; round < 300; ++round) {
    std::string bytes = original;
    int flips = 1 + static_cast<int>(random() % 64);
    for (int i = 0; i < flips; ++i) {
      // Mostly the headers and tables at either end, where damage matters most.
      std::size_t at = random() % 2 ? random() % 256 : bytes.size() - 1 - random() % 4096;
      bytes[at] = static_cast<char>(random());
    }
    ElfFile file;
    Status status = open_bytes(bytes, file);
    if (!status) {
      ++failures;
      EXPECT_NE(status.message().find("memfd"), std::string::npos);
      continue;
    }
    for (std::size_t i = 0; i < file.function_count(); ++i) {
      (void)file.find_function(file.function(i).address);
    }
    (void)file.find_symbol("ember_fixture_lib_counter");
    (void)file.load_bias(0x7f0000000000, 0x1000);
  }
  EXPECT_GT(failures, 0u) << "corruption never detected: is the test corrupting anything?";
}

}  // namespace
}  // namespace ember

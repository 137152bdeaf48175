// The native symbolizer reads a function's name from its binary when a
// sample first lands in it: a binary rewritten in place since it was opened
// keeps the names already read and gives no other (its frames are named
// module+offset), one deleted since still names its functions.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>

#include "ember/elf_file.hpp"
#include "ember/testing/fake_host.hpp"
#include "fixture_process.hpp"
#include "symbol_cache.hpp"

namespace ember::native {
namespace {

using ember_test::fixture_path;
using ember_test::nm_symbol;

constexpr const char* kLib = "libember_fixture_lib.so";

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A copy of the fixture library at a path of the test's own.
std::string copy_of_lib(const std::string& name) {
  std::string path = ::testing::TempDir() + name;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << file_bytes(fixture_path(kLib));
  return path;
}

NativeOptions function_names_only() {
  NativeOptions options;
  options.lines = false;
  options.debug_dirs = {};
  return options;
}

std::shared_ptr<const BinarySymbols> symbols_of_copy(SymbolCache& cache, const std::string& path) {
  MappedFile file;
  EXPECT_TRUE(MappedFile::open_path(path, file).is_ok()) << path;
  return cache.get(file, path, "");
}

std::uint64_t inside(const std::string& function) {
  return nm_symbol(kLib, function).address + 1;
}

// The name the fixture's own symbols give `vaddr`, read with the names in memory.
std::string expected_name(std::uint64_t vaddr) {
  ElfFile elf;
  EXPECT_TRUE(ElfFile::open(fixture_path(kLib), elf).is_ok());
  auto function = elf.find_function(vaddr);
  EXPECT_TRUE(function.has_value()) << vaddr;
  return function ? std::string(function->name) : "";
}

std::string name_at(const BinarySymbols& symbols, std::uint64_t vaddr) {
  ChainHandle chain = symbols.frames(vaddr, "lib");
  return chain ? chain->front()->name : "";
}

TEST(SymbolNamesInFile, ABinaryRewrittenInPlaceKeepsTheNamesReadAndGivesNoOther) {
  std::string path = copy_of_lib("ember_names_rewritten.so");
  ember::testkit::FakeHost host;
  SymbolCache cache(host, function_names_only());
  auto symbols = symbols_of_copy(cache, path);
  ASSERT_TRUE(symbols->readable()) << symbols->error();
  std::uint64_t asked = inside("ember_fixture_lib_function");
  std::uint64_t not_asked = inside("ember_fixture_lib_static");
  ASSERT_FALSE(expected_name(asked).empty());
  EXPECT_EQ(name_at(*symbols, asked), expected_name(asked));

  // Another build copied over it: the same size, each name another string.
  std::string bytes = file_bytes(path);
  for (char& c : bytes) {
    if (c >= 'a' && c < 'z') ++c;
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(pwrite(fd, bytes.data(), bytes.size(), 0), static_cast<ssize_t>(bytes.size()));
  struct timespec times[2] = {{0, UTIME_OMIT}, {12345, 0}};  // whatever the clock's granularity
  ASSERT_EQ(futimens(fd, times), 0);
  ::close(fd);

  EXPECT_EQ(name_at(*symbols, asked), expected_name(asked)) << "named before the change";
  EXPECT_EQ(symbols->frames(not_asked, "lib"), nullptr)
      << "named module+offset by the caller, not " << name_at(*symbols, not_asked);
  EXPECT_EQ(symbols->frames(not_asked + 1, "lib"), nullptr);
  EXPECT_EQ(host.count(LogLevel::info, "lib: function names can no longer be read"), 1u)
      << "said once";
  std::remove(path.c_str());
}

TEST(SymbolNamesInFile, ABinaryDeletedSinceItWasOpenedStillNamesItsFunctions) {
  std::string path = copy_of_lib("ember_names_deleted.so");
  ember::testkit::FakeHost host;
  SymbolCache cache(host, function_names_only());
  auto symbols = symbols_of_copy(cache, path);
  ASSERT_TRUE(symbols->readable()) << symbols->error();
  ASSERT_EQ(std::remove(path.c_str()), 0);
  for (const char* function : {"ember_fixture_lib_function", "ember_fixture_lib_static"}) {
    EXPECT_EQ(name_at(*symbols, inside(function)), expected_name(inside(function))) << function;
  }
}

}  // namespace
}  // namespace ember::native

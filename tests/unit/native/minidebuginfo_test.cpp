// MiniDebugInfo against inlined_hot_mini, made as Fedora makes its binaries
// (make_minidebuginfo.sh): stripped, its local functions only in the
// xz-compressed ELF of .gnu_debugdata. Addresses come from `nm` of the
// binary before it was stripped.
#include "minidebuginfo.hpp"

#include <gtest/gtest.h>
#include <lzma.h>

#include <fstream>
#include <sstream>

#include "symbol_cache.hpp"
#include "ember/testing/fake_host.hpp"

namespace ember::native {
namespace {

std::uint64_t nm_address(const std::string& name) {
  std::ifstream in(std::string(EMBER_INLINED_MINI) + ".nm");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string address, size, type, symbol;
    if (fields >> address >> size >> type >> symbol && symbol == name) {
      return std::stoull(address, nullptr, 16);
    }
  }
  ADD_FAILURE() << name << " not in " << EMBER_INLINED_MINI << ".nm";
  return 0;
}

std::shared_ptr<const BinarySymbols> read(SymbolCache& cache, const std::string& path) {
  MappedFile file;
  EXPECT_TRUE(MappedFile::open_path(path, file).is_ok());
  return cache.get(file, path, "");
}

TEST(MiniDebugInfo, StrippedFunctionsAreNamedFromGnuDebugdata) {
  ember::testkit::FakeHost host;
  NativeOptions options;
  options.debug_dirs = {};  // no separate debug file: names can only come from .gnu_debugdata
  SymbolCache cache(host, options);
  auto symbols = read(cache, EMBER_INLINED_MINI);
  ASSERT_TRUE(symbols->readable()) << symbols->error();
  EXPECT_TRUE(symbols->has_extra_symbols());
  EXPECT_FALSE(symbols->has_dwarf()) << "MiniDebugInfo has symbols, not lines";
  for (const char* name : {"outer_work", "main"}) {
    ChainHandle chain = symbols->frames(nm_address(name) + 1, "inlined_hot_mini");
    ASSERT_TRUE(chain) << name;
    ASSERT_EQ(chain->size(), 1u);
    EXPECT_EQ(chain->front()->name, name);
  }
  EXPECT_EQ(host.count(LogLevel::warn, ""), 0u);
}

TEST(MiniDebugInfo, TruncatedGnuDebugdataIsLoggedAndNamesFallBack) {
  ember::testkit::FakeHost host;
  NativeOptions options;
  options.debug_dirs = {};
  SymbolCache cache(host, options);
  auto symbols = read(cache, std::string(EMBER_INLINED_MINI) + "_badmini");
  ASSERT_TRUE(symbols->readable()) << "the object itself is fine";
  EXPECT_FALSE(symbols->has_extra_symbols());
  EXPECT_EQ(symbols->frames(nm_address("outer_work") + 1, "inlined_hot_mini_badmini"), nullptr);
  EXPECT_EQ(host.count(LogLevel::warn, "cannot read MiniDebugInfo"), 1u);
}

std::vector<unsigned char> xz(const std::string& text) {
  std::vector<unsigned char> out(text.size() + 1024);
  std::size_t used = 0;
  EXPECT_EQ(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, nullptr,
                                    reinterpret_cast<const std::uint8_t*>(text.data()), text.size(),
                                    out.data(), &used, out.size()),
            LZMA_OK);
  out.resize(used);
  return out;
}

TEST(MiniDebugInfo, DecompressionIsBoundedAndChecked) {
  std::string text(300 * 1024, 'x');
  std::vector<unsigned char> out;
  ASSERT_TRUE(decompress_xz(xz(text), 1 << 20, out).is_ok());
  EXPECT_EQ(std::string(out.begin(), out.end()), text);
  Status bomb = decompress_xz(xz(text), 100 * 1024, out);
  EXPECT_FALSE(bomb.is_ok());
  EXPECT_NE(bomb.message().find("more than"), std::string::npos) << bomb.message();
  std::vector<unsigned char> cut = xz(text);
  cut.resize(cut.size() / 2);
  EXPECT_FALSE(decompress_xz(cut, 1 << 20, out).is_ok());
  std::vector<unsigned char> garbage(100, 0x42);
  EXPECT_FALSE(decompress_xz(garbage, 1 << 20, out).is_ok());
}

}  // namespace
}  // namespace ember::native

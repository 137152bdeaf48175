// The detector and reader on real binaries built by Debian's Go with the tests:
// stripped (-s -w) executables, PIE and not, and one whose section headers
// are gone. The truth is the binary's own runtime: callers/main.go prints,
// for each return address of its stack, the frames runtime.CallersFrames
// expands it to (inlined calls included); the reader must give the same
// function, file and line for each.
#include <gtest/gtest.h>

#include <elf.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "detect.hpp"
#include "ember/elf_file.hpp"
#include "goroutine_layout.hpp"

namespace ember::go {
namespace {

namespace fs = std::filesystem;

std::string run(const std::string& command) {
  std::string output;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return "popen failed";
  char buffer[4096];
  while (std::size_t n = fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  int status = pclose(pipe);
  if (status != 0) output = "exit " + std::to_string(status) + ": " + output;
  return output;
}

// A binary the build made in the test's build directory (CMakeLists.txt).
std::string built(const std::string& name) {
  fs::path path = fs::path(EMBER_GO_TEST_DIR) / name;
  if (!fs::exists(path)) ADD_FAILURE() << path << " was not built";
  return path.string();
}

struct Truth {
  std::uint64_t main_address = 0;
  // Per return address, the runtime's frames "function file:line".
  std::vector<std::pair<std::uint64_t, std::vector<std::string>>> stacks;
};

Truth run_callers(const std::string& binary) {
  Truth truth;
  std::istringstream lines(run(binary));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("main.main ", 0) == 0) {
      truth.main_address = std::stoull(line.substr(10), nullptr, 16);
    } else if (line.rfind("pc ", 0) == 0) {
      std::size_t space = line.find(' ', 3);
      std::uint64_t pc = std::stoull(line.substr(3, space - 3), nullptr, 16);
      std::string rest = line.substr(space + 1);
      std::size_t tab1 = rest.find('\t'), tab2 = rest.rfind('\t');
      std::string frame = rest.substr(0, tab1) + " " + rest.substr(tab1 + 1, tab2 - tab1 - 1) +
                          ":" + rest.substr(tab2 + 1);
      if (truth.stacks.empty() || truth.stacks.back().first != pc) truth.stacks.push_back({pc, {}});
      truth.stacks.back().second.push_back(frame);
    }
  }
  return truth;
}

// The linker shortens what brackets hold in the names it writes to the
// pclntab ("main.Map[...]", "type..eq.[...]T"); .symtab keeps them whole.
std::string elide_brackets(const std::string& name) {
  std::string out;
  int depth = 0;
  for (char c : name) {
    if (c == '[' && depth++ == 0) out += "[...";
    if (c == ']' && --depth == 0) out += ']';
    if (depth == 0 && c != ']') out += c;
  }
  return out;
}

std::uint64_t entry_of(const Pclntab& table, std::string_view name) {
  for (std::size_t i = 0; i < table.function_count(); ++i) {
    if (table.function_name(i) == name) return table.function_entry(i);
  }
  return 0;
}

// Detects `binary` and checks every frame of its runtime's own stack.
void check_against_runtime(const std::string& binary, bool pie) {
  GoBinary go;
  Status status = detect(binary, go);
  ASSERT_TRUE(status.is_ok()) << status.message();
  ASSERT_TRUE(go.is_go);
  EXPECT_EQ(go.version, run(std::string(EMBER_GO_TOOL) + " env GOVERSION").substr(0, go.version.size()));
  EXPECT_TRUE(go.inline_trees) << go.inline_trees_missing;
  EXPECT_EQ(go.file.is_shared_object(), pie);

  Truth truth = run_callers(binary);
  ASSERT_GE(truth.stacks.size(), 5u) << "the program printed no stack";
  std::uint64_t link_main = entry_of(go.table, "main.main");
  ASSERT_NE(link_main, 0u);
  std::uint64_t bias = truth.main_address - link_main;
  if (!pie) {
    EXPECT_EQ(bias, 0u);
  }

  // runtime.Callers gives an inlined call a pc of its own after the real
  // return address (one frame per pc), so the frames of one return address
  // are the runtime's frames of that pc and of the next ones.
  bool saw_inlined = false, saw_generic = false;
  for (std::size_t i = 0; i < truth.stacks.size();) {
    std::uint64_t pc = truth.stacks[i].first;
    std::vector<GoFrame> frames;
    // A return address: the call instruction is the byte before it.
    ASSERT_TRUE(go.table.frames(pc - 1 - bias, frames)) << std::hex << pc;
    ASSERT_LE(i + frames.size(), truth.stacks.size()) << "pc 0x" << std::hex << pc;
    for (std::size_t k = 0; k < frames.size(); ++k) {
      const GoFrame& f = frames[k];
      std::string got = std::string(f.function) + " " + std::string(f.file) + ":" +
                        std::to_string(f.line);
      ASSERT_EQ(truth.stacks[i + k].second.size(), 1u);
      EXPECT_EQ(got, truth.stacks[i + k].second[0]) << "pc 0x" << std::hex << pc;
      EXPECT_EQ(f.inlined, k + 1 < frames.size()) << "pc 0x" << std::hex << pc;
      saw_inlined |= f.inlined && f.function == "main.capture";
      saw_generic |= f.function == "main.generic[...]";
    }
    // Every main.* frame here calls on: it has a frame (Go's amd64 frames
    // are multiples of 8, and hold the saved rbp).
    if (frames.back().function.starts_with("main.")) {
      auto delta = go.table.sp_delta(pc - 1 - bias);
      ASSERT_TRUE(delta.has_value()) << "pc 0x" << std::hex << pc;
      EXPECT_GT(*delta, 0) << "pc 0x" << std::hex << pc;
      EXPECT_EQ(*delta % 8, 0) << "pc 0x" << std::hex << pc;
    }
    i += frames.size();
  }
  EXPECT_TRUE(saw_inlined) << "main.capture was not seen inlined into main.middle";
  EXPECT_TRUE(saw_generic) << "main.generic[...] was not named as Go names it";
}

class GoBinaries : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    stripped_ = built("stripped");
    pie_ = built("pie");
  }
  static inline std::string stripped_, pie_;
};

TEST_F(GoBinaries, StrippedExecutableMatchesTheRuntime) { check_against_runtime(stripped_, false); }

TEST_F(GoBinaries, StrippedPieMatchesTheRuntime) { check_against_runtime(pie_, true); }

TEST_F(GoBinaries, FoundByScanWithoutSectionHeaders) {
  std::ifstream in(stripped_, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), sizeof(Elf64_Ehdr));
  Elf64_Ehdr eh;
  std::memcpy(&eh, bytes.data(), sizeof eh);
  eh.e_shoff = 0;
  eh.e_shnum = 0;
  eh.e_shstrndx = 0;
  std::memcpy(bytes.data(), &eh, sizeof eh);
  std::string sstripped = fs::path(stripped_).parent_path() / "no_sections";
  {
    std::ofstream out(sstripped, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  fs::permissions(sstripped, fs::perms::owner_all);

  GoBinary with, without;
  ASSERT_TRUE(detect(stripped_, with).is_ok());
  Status status = detect(sstripped, without);
  ASSERT_TRUE(status.is_ok()) << status.message();
  ASSERT_TRUE(without.is_go);
  EXPECT_TRUE(without.file.sections().empty());
  EXPECT_EQ(without.pclntab_vaddr, with.pclntab_vaddr);
  EXPECT_EQ(without.version, with.version);
  check_against_runtime(sstripped, false);
}

TEST_F(GoBinaries, ACorruptTableIsAnErrorNotAGoBinaryToName) {
  std::ifstream in(stripped_, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  GoBinary good;
  ASSERT_TRUE(detect(stripped_, good).is_ok());
  const ElfSection* section = good.file.section(".gopclntab");
  ASSERT_NE(section, nullptr);
  // The function table's offset (the header's last word) pointed past the end.
  std::uint64_t huge = ~0ull >> 8;
  std::memcpy(bytes.data() + section->offset + 8 + 7 * 8, &huge, 8);
  std::string corrupt = fs::path(stripped_).parent_path() / "corrupt";
  {
    std::ofstream out(corrupt, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  GoBinary bad;
  Status status = detect(corrupt, bad);
  EXPECT_TRUE(bad.is_go);
  EXPECT_FALSE(status.is_ok());
  EXPECT_NE(status.message().find("pclntab"), std::string::npos) << status.message();
}

// A c-shared library is linked by the C toolchain, which merges the table
// into .data.rel.ro: found by scan, named as the unstripped build's symbols.
TEST_F(GoBinaries, CSharedLibraryWithoutAPclntabSection) {
  std::string stripped = built("libcshared_stripped.so");
  std::string full = built("libcshared.so");
  GoBinary go;
  Status status = detect(stripped, go);
  ASSERT_TRUE(status.is_ok()) << status.message();
  ASSERT_TRUE(go.is_go);
  EXPECT_EQ(go.file.section(".gopclntab"), nullptr);
  EXPECT_EQ(go.file.section(".data.rel.ro.gopclntab"), nullptr);
  EXPECT_TRUE(go.inline_trees) << go.inline_trees_missing;

  ElfFile symbols;
  ASSERT_TRUE(ElfFile::open(full, symbols).is_ok());
  std::size_t checked = 0;
  std::vector<std::string> wrong;
  for (std::size_t i = 0; i < symbols.function_count(); ++i) {
    ElfSymbol symbol = symbols.function(i);
    if (symbol.address < go.table.text_start() || symbol.address >= go.table.text_end()) continue;
    std::vector<GoFrame> frames;
    if (!go.table.frames(symbol.address, frames)) continue;  // C code between Go functions
    std::string expected = elide_brackets(std::string(symbol.name));
    if (expected.ends_with(".abi0")) expected.resize(expected.size() - 5);  // assembly's ABI
    ++checked;
    if (frames.back().function != expected) {
      wrong.push_back(expected + " named " + std::string(frames.back().function));
    }
  }
  EXPECT_GE(checked, go.table.function_count() * 9 / 10);
  EXPECT_TRUE(wrong.empty()) << wrong.size() << " of " << checked << ", first: " << wrong.front();
  std::vector<GoFrame> frames;
  auto hot = symbols.find_symbol("main.hot");
  ASSERT_TRUE(hot.has_value());
  ASSERT_TRUE(go.table.frames(hot->address, frames));
  EXPECT_EQ(frames.back().function, "main.hot");
  EXPECT_TRUE(frames.back().file.ends_with("/go_cshared/lib.go")) << frames.back().file;
}

// The goroutine layout the plugin knows for the installed Go is what that
// Go's own DWARF says (layout/main.go reads it from itself), and where g is
// in a Go executable's TLS is known.
TEST(GoroutineLayout, TheInstalledGosOffsetsAreItsDwarfs) {
  std::string binary = built("layout");
  GoBinary go;
  ASSERT_TRUE(detect(binary, go).is_ok());
  ASSERT_FALSE(go.version.empty());
  auto layout = goroutine_layout(go.version);
  ASSERT_TRUE(layout.has_value()) << "no goroutine layout for " << go.version
                                  << ": add it from this output: " << run(binary);
  std::string expected = go.version + " g.m=" + std::to_string(layout->g_m) +
                         " m.curg=" + std::to_string(layout->m_curg) +
                         " g.labels=" + std::to_string(layout->g_labels) +
                         " g.stack=0 stack.lo=0 stack.hi=8\n";
  EXPECT_EQ(run(binary), expected);
  std::string why;
  EXPECT_EQ(g_tls_offset(go.file, why), std::optional<std::int64_t>(-8)) << why;
}

TEST(NotGo, AnElfWithoutPclntabIsNotGo) {
  GoBinary go;
  Status status = detect("/proc/self/exe", go);
  EXPECT_TRUE(status.is_ok()) << status.message();
  EXPECT_FALSE(go.is_go);
  EXPECT_FALSE(detect("/etc/hostname", go).is_ok());
}

}  // namespace
}  // namespace ember::go

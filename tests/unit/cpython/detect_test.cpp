#include "detect.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include "debug_offsets.hpp"
#include "ember/elf_file.hpp"
#include "pythons.hpp"
#include "scratch_dir.hpp"

namespace ember::cpython {
namespace {

using testing::all_pythons;
using testing::pyenv_pythons;
using testing::run;

BinaryRef binary_ref(const std::string& path) { return BinaryRef{path, path, ""}; }

// What the interpreter says of itself, and where its runtime symbol lies as a
// link-time vaddr (runtime address minus the load bias of its mapping).
struct Live {
  unsigned major = 0, minor = 0, micro = 0;
  std::string symbol;
  std::uint64_t vaddr = 0;
};

std::optional<Live> ask(const testing::Python& python) {
  const char* script =
      "import ctypes, os, sys\n"
      "name = '_PyRuntime' if sys.version_info >= (3, 7) else '_PyThreadState_Current'\n"
      "addr = ctypes.addressof(ctypes.c_char.in_dll(ctypes.pythonapi, name))\n"
      "lib = os.path.realpath(sys.argv[1])\n"
      "for line in open('/proc/self/maps'):\n"
      "    f = line.split()\n"
      "    if len(f) >= 6 and os.path.realpath(f[5]) == lib and int(f[2], 16) == 0:\n"
      "        start = int(f[0].split('-')[0], 16)\n"
      "        break\n"
      "print('%d %d %d %s %d %d' % (sys.version_info[0], sys.version_info[1],\n"
      "                             sys.version_info[2], name, addr, start))\n";
  ember::test::ScratchDir dir("ember-cpython-ask");
  std::string path = dir.file("ask.py");
  std::ofstream(path) << script;
  auto out = run(python.interpreter + " " + path + " " + python.binary);
  if (!out) return std::nullopt;
  Live live;
  char symbol[64] = {};
  unsigned long long addr = 0, start = 0;
  if (std::sscanf(out->c_str(), "%u %u %u %63s %llu %llu", &live.major, &live.minor, &live.micro,
                  symbol, &addr, &start) != 6) {
    return std::nullopt;
  }
  ElfFile elf;
  if (!ElfFile::open(python.binary, elf)) return std::nullopt;
  auto bias = elf.load_bias(start, 0);
  if (!bias) return std::nullopt;
  live.symbol = symbol;
  live.vaddr = addr - *bias;
  return live;
}

TEST(CPythonDetect, EveryInstalledInterpreter) {
  auto pythons = all_pythons();
  auto pyenv = pyenv_pythons();
  EMBER_REQUIRE_PYENV(pyenv);
  std::set<std::string> minors;
  for (const auto& python : pythons) {
    SCOPED_TRACE(python.label);
    auto live = ask(python);
    ASSERT_TRUE(live) << "could not ask " << python.interpreter << " about itself";
    CPythonBinary found;
    Status status = detect(binary_ref(python.binary), found);
    ASSERT_TRUE(status) << status.message();
    ASSERT_TRUE(found.is_cpython);
    EXPECT_EQ(found.major, live->major);
    EXPECT_EQ(found.minor, live->minor);
    EXPECT_EQ(found.micro, live->micro);
    EXPECT_EQ(found.version, std::to_string(live->major) + "." + std::to_string(live->minor) + "." +
                                 std::to_string(live->micro));
    EXPECT_EQ(found.version_source, found.minor >= 11 && found.major == 3
                                        ? VersionSource::py_version
                                        : VersionSource::version_string);
    if (live->symbol == "_PyRuntime") {
      EXPECT_EQ(found.runtime_address, live->vaddr);
      EXPECT_EQ(found.tstate_current_address, 0u);
    } else {
      EXPECT_EQ(found.tstate_current_address, live->vaddr);
      EXPECT_EQ(found.runtime_address, 0u);
    }
    // The types the code reader checks objects against.
    EXPECT_NE(found.code_type_address, 0u);
    EXPECT_NE(found.str_type_address, 0u);
    EXPECT_NE(found.str_type_address, found.code_type_address);
    EXPECT_EQ(found.bytes_type_address == found.str_type_address, found.major == 2);
    ASSERT_NE(found.table, nullptr);
    EXPECT_EQ(found.table->major, found.major);
    EXPECT_EQ(found.table->minor, found.minor);
    EXPECT_EQ(found.has_debug_offsets, found.major == 3 && found.minor >= 13)
        << found.debug_offsets_error;
    if (python.label.starts_with("pyenv")) {
      minors.insert(std::to_string(found.major) + "." + std::to_string(found.minor));
      // pyenv keeps .symtab: 3.12+ name their thread-local tstate there.
      EXPECT_EQ(found.tss_tstate_tls_offset.has_value(), found.major == 3 && found.minor >= 12);
    }
  }
  for (const std::string& minor : testing::expected_minors()) {
    EXPECT_TRUE(minors.count(minor)) << "pyenv has no CPython " << minor;
  }
}

TEST(CPythonDetect, DebianStaticInterpreter) {
  if (!std::filesystem::exists("/usr/bin/python3.11")) {
    if (std::getenv("CI")) FAIL() << "/usr/bin/python3.11 is missing (Debian's python3.11)";
    GTEST_SKIP() << "/usr/bin/python3.11 is missing";
  }
  CPythonBinary found;
  ASSERT_TRUE(detect(binary_ref("/usr/bin/python3.11"), found));
  EXPECT_TRUE(found.is_cpython);
  EXPECT_EQ(found.minor, 11u);
  EXPECT_NE(found.runtime_address, 0u);
  EXPECT_NE(found.code_type_address, 0u);  // exported: stripping keeps them
  EXPECT_FALSE(found.tss_tstate_tls_offset);  // stripped
}

TEST(CPythonDetect, ExecutableLinkingLibpythonIsNotTheRuntime) {
  auto pyenv = pyenv_pythons();
  EMBER_REQUIRE_PYENV(pyenv);
  for (const auto& python : pyenv) {
    SCOPED_TRACE(python.interpreter);
    CPythonBinary found;
    ASSERT_TRUE(detect(binary_ref(python.interpreter), found));
    EXPECT_FALSE(found.is_cpython);
  }
}

TEST(CPythonDetect, NotCPython) {
  for (const char* path : {"/bin/ls", "/bin/sh"}) {
    CPythonBinary found;
    Status status = detect(binary_ref(path), found);
    EXPECT_TRUE(status) << status.message();
    EXPECT_FALSE(found.is_cpython) << path;
  }
}

TEST(CPythonDetect, CorruptFilesAreErrors) {
  namespace fs = std::filesystem;
  ember::test::ScratchDir scratch("ember-cpython-corrupt");
  const fs::path& dir = scratch.path();
  // Garbage behind an ELF magic.
  {
    std::ofstream out(dir / "garbage.so", std::ios::binary);
    out << "\x7f"
           "ELF\x02\x01\x01"
        << std::string(200, '\xff');
  }
  CPythonBinary found;
  EXPECT_FALSE(detect(binary_ref((dir / "garbage.so").string()), found));
  EXPECT_FALSE(detect(binary_ref((dir / "missing.so").string()), found));
  // A real libpython cut short: its section headers are gone.
  auto pyenv = pyenv_pythons();
  EMBER_REQUIRE_PYENV(pyenv);
  for (std::uintmax_t size :
       {std::uintmax_t{64}, std::uintmax_t{1} << 16, std::uintmax_t{1} << 20}) {
    fs::path cut = dir / "cut.so";
    fs::copy_file(pyenv.back().binary, cut, fs::copy_options::overwrite_existing);
    fs::resize_file(cut, size);
    Status status = detect(binary_ref(cut.string()), found);
    EXPECT_FALSE(status) << "a " << size << "-byte prefix of " << pyenv.back().binary;
    EXPECT_FALSE(status.message().empty());
  }
}

TEST(CPythonDetect, FreeThreadedBuildsAreNamedButRefused) {
  // pyenv's 3.13 with its _Py_DebugOffsets saying free-threaded.
  namespace fs = std::filesystem;
  auto pythons = pyenv_pythons();
  EMBER_REQUIRE_PYENV(pythons);
  auto python = std::find_if(pythons.begin(), pythons.end(),
                             [](const auto& p) { return p.label.starts_with("pyenv 3.13."); });
  ASSERT_NE(python, pythons.end()) << "pyenv 3.13 is not installed";
  const cpython_debug_offsets_layout* layout = find_debug_layout(3, 13);
  ASSERT_NE(layout, nullptr);
  // The file offset of _PyRuntime's debug offsets, through its load segment.
  CPythonBinary real;
  ASSERT_TRUE(detect(binary_ref(python->binary), real));
  ElfFile elf;
  ASSERT_TRUE(ElfFile::open(python->binary, elf));
  std::uint64_t vaddr = real.runtime_address + layout->runtime_offset;
  std::optional<std::uint64_t> offset;
  for (const ElfLoadSegment& segment : elf.load_segments()) {
    if (vaddr >= segment.vaddr && vaddr + 64 <= segment.vaddr + segment.filesz) {
      offset = vaddr - segment.vaddr + segment.offset;
    }
  }
  ASSERT_TRUE(offset);
  std::ifstream in(python->binary, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_EQ(bytes.compare(*offset + layout->cookie, 8, "xdebugpy"), 0);
  bytes[*offset + layout->free_threaded] = 1;
  ember::test::ScratchDir dir("ember-cpython-free-threaded");
  fs::path copy = dir.path() / "libpython3.13t.so.1.0";
  std::ofstream(copy, std::ios::binary) << bytes;

  CPythonBinary found;
  Status status = detect(binary_ref(copy.string()), found);
  EXPECT_FALSE(status);
  EXPECT_NE(status.message().find("free-threaded CPython 3.13"), std::string::npos)
      << status.message();
  EXPECT_TRUE(found.is_cpython);
  EXPECT_EQ(found.minor, 13u);
}

TEST(CPythonDetect, UnknownVersionsHaveNoTable) {
  EXPECT_EQ(find_offsets(3, 14), nullptr);
  EXPECT_EQ(find_offsets(3, 5), nullptr);
  EXPECT_NE(find_offsets(3, 13), nullptr);
}

}  // namespace
}  // namespace ember::cpython

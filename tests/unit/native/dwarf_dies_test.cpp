// DwarfSource reads DIEs itself (dwarf_dies.hpp); libdw, read the way
// DwarfSource read it before, is the reference. Every function of each file
// is looked up at its first, middle and last byte (every byte of the small
// ones), and both must give the same frames: names, inlined calls, files,
// lines. The files cover what the reader decodes: GCC's DWARF 2, 4 and 5,
// Clang's DWARF 5 (strx/addrx forms, rnglists), C++ namespaces and
// templates, compressed sections, dwz's alt file, units without
// .debug_aranges, and Debian's libc6-dbg (4,000 units).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "dwarf_source.hpp"
#include "ember/elf_file.hpp"
#include "frames_text.hpp"
#include "libdw_functions.hpp"
#include "nm_functions.hpp"

namespace ember::native {
namespace {

namespace fs = std::filesystem;

struct Compared {
  std::size_t addresses = 0;
  std::size_t named = 0;    // addresses whose innermost frame has a name
  std::size_t inlined = 0;  // addresses inside an inlined call
  std::size_t differ = 0;
};

// Looks up the functions `nm` lists in `path` with both readers: at every
// byte of those up to `every_byte_up_to` bytes long, else at three.
Compared compare_with_libdw(const std::string& path, const std::string& alt = "",
                            std::uint64_t every_byte_up_to = 256) {
  Compared compared;
  std::unique_ptr<DwarfSource> ours;
  std::string note;
  Status opened = DwarfSource::open(path, alt, ours, note);
  EXPECT_TRUE(opened.is_ok()) << opened.message();
  EXPECT_TRUE(note.empty()) << note;
  auto reference = test::LibdwFunctions::open(path, alt);
  EXPECT_TRUE(reference) << "libdw cannot read " << path;
  if (!ours || !reference) return compared;
  auto functions = nm_functions(path);
  EXPECT_FALSE(functions.empty()) << "nm lists no functions in " << path;
  std::vector<SourceFunction> got;
  std::vector<SourceFunction> expected;
  for (const auto& [name, function] : functions) {
    std::vector<std::uint64_t> addresses;
    if (function.size <= every_byte_up_to) {
      for (std::uint64_t at = 0; at < function.size; ++at)
        addresses.push_back(function.address + at);
    } else {
      addresses = {function.address, function.address + function.size / 2,
                   function.address + function.size - 1};
    }
    for (std::uint64_t vaddr : addresses) {
      bool found = ours->lookup(vaddr, got);
      bool reference_found = reference->lookup(vaddr, expected);
      ++compared.addresses;
      if (found != reference_found || frames_text(got) != frames_text(expected)) {
        if (++compared.differ <= 5) {
          ADD_FAILURE() << path << " " << name << " +0x" << std::hex << vaddr - function.address
                        << ":\n  ours:  " << (found ? frames_text(got) : "(none)")
                        << "\n  libdw: " << (reference_found ? frames_text(expected) : "(none)");
        }
        continue;
      }
      compared.named += found && !got.front().name.empty();
      compared.inlined += found && got.size() > 1;
    }
  }
  EXPECT_EQ(compared.differ, 0u) << compared.differ << " of " << compared.addresses
                                 << " addresses of " << path << " differ";
  return compared;
}

std::string dwarf_variant(const std::string& name) {
  return std::string(EMBER_DWARF_VARIANTS_DIR) + "/dwarf_" + name + ".so";
}

std::string elf_build_id(const std::string& path) {
  ElfFile elf;
  Status status = ElfFile::open(path, elf);
  EXPECT_TRUE(status.is_ok()) << status.message();
  return elf.build_id();
}

TEST(DwarfDies, EachCompilerAndDwarfVersionGivesLibdwsFunctions) {
  for (const char* name : {"gcc2", "gcc4", "gcc5", "clang5"}) {
    SCOPED_TRACE(name);
    Compared compared = compare_with_libdw(dwarf_variant(name));
    EXPECT_GT(compared.named, compared.addresses * 9 / 10) << "addresses named";
    EXPECT_GT(compared.inlined, 100u) << "addresses in inlined calls";
  }
}

TEST(DwarfDies, ThisProgramsCxxGivesLibdwsFunctions) {
  Compared compared = compare_with_libdw(fs::read_symlink("/proc/self/exe").string(), "", 0);
  EXPECT_GT(compared.named, 5000u);
}

TEST(DwarfDies, CompressedDwzAndTablelessDwarfGiveLibdwsFunctions) {
  EXPECT_GT(compare_with_libdw(EMBER_INLINED_GZ).named, 50u) << "compressed sections";
  std::string dwz = std::string(EMBER_DWZ_DIR) + "/debug/.build-id/";
  std::string id = elf_build_id(EMBER_INLINED_DWZ);
  dwz += id.substr(0, 2) + "/" + id.substr(2) + ".debug";
  Compared compared = compare_with_libdw(dwz, std::string(EMBER_DWZ_DIR) + "/alt.debug");
  EXPECT_GT(compared.named, 50u) << "dwz'd with its alt file";
  EXPECT_GT(compared.inlined, 0u) << "inlined calls named from the alt file";
  EXPECT_GT(compare_with_libdw(std::string(EMBER_ARANGES_FIXTURE) + "_none").named, 60u)
      << "units found from their DIEs";
}

// Debian's libc6-dbg: thousands of units, GCC's DWARF 5, sections as the
// distribution ships them (scripts/install-deps.sh installs the package).
TEST(DwarfDies, DebiansLibcDebugFileGivesLibdwsFunctions) {
  const std::string libc = "/lib/x86_64-linux-gnu/libc.so.6";
  std::string id = elf_build_id(libc);
  ASSERT_FALSE(id.empty()) << libc << " has no build id";
  std::string debug = "/usr/lib/debug/.build-id/" + id.substr(0, 2) + "/" + id.substr(2) + ".debug";
  ASSERT_TRUE(fs::exists(debug)) << debug
                                 << " is missing: apt-get install libc6-dbg "
                                    "(scripts/install-deps.sh installs it)";
  Compared compared = compare_with_libdw(debug, "", 0);
  EXPECT_GT(compared.named, 2000u);
  EXPECT_GT(compared.inlined, 100u);
}

}  // namespace
}  // namespace ember::native

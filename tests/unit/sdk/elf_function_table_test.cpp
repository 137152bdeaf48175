// ElfFunctionTable names the same functions as ElfFile, with the names left
// in the file, and none of another function when the file changed.
#include "ember/elf_function_table.hpp"

#include <fcntl.h>
#include <gelf.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>

#include "elf_chunks.hpp"
#include "fixture_process.hpp"

namespace ember {
namespace {

using ember_test::fixture_path;

constexpr const char* kTableFixtures[] = {"ember_fixture_nopie", "ember_fixture_pie",
                                          "libember_fixture_lib.so", "ember_fixture_pie_stripped"};

ElfFile read_whole(const std::string& path) {
  ElfFile file;
  Status status = ElfFile::open(path, file, ElfReadOptions{.data_symbols = false});
  EXPECT_TRUE(status.is_ok()) << status.message();
  return file;
}

ElfFunctionTable read_table(const std::string& path) {
  ElfFunctionTable table;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  EXPECT_GE(fd, 0) << path;
  Status status = ElfFunctionTable::open_fd(fd, path, table);
  EXPECT_TRUE(status.is_ok()) << status.message();
  ::close(fd);  // the table keeps its own descriptor
  return table;
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void expect_same_functions(const ElfFile& file, const ElfFunctionTable& table,
                           const std::string& what) {
  ASSERT_EQ(table.function_count(), file.function_count()) << what;
  ASSERT_GT(table.function_count(), 3u) << what;
  EXPECT_EQ(table.build_id(), file.build_id()) << what;
  for (std::size_t i = 0; i < file.function_count(); ++i) {
    ElfSymbol expected = file.function(i);
    EXPECT_EQ(table.function(i).address, expected.address) << what << " #" << i;
    EXPECT_EQ(table.function(i).size, expected.size) << what << " #" << i;
    EXPECT_EQ(table.name(i), expected.name) << what << " #" << i;
    for (std::uint64_t address : {expected.address, expected.address + expected.size - 1,
                                  expected.address + expected.size}) {
      EXPECT_EQ(table.find_function_index(address), file.find_function_index(address))
          << what << " at 0x" << std::hex << address;
    }
  }
}

TEST(ElfFunctionTable, SameFunctionsSizesAndNamesAsElfFile) {
  for (const char* name : kTableFixtures) {
    std::string path = fixture_path(name);
    expect_same_functions(read_whole(path), read_table(path), name);
  }
}

TEST(ElfFunctionTable, NamesStayInTheFile) {
  for (const char* name : kTableFixtures) {
    std::string path = fixture_path(name);
    ElfFile file = read_whole(path);
    ElfFunctionTable table = read_table(path);
    EXPECT_TRUE(table.names_in_file()) << name;
    std::size_t name_bytes = 0;
    for (std::size_t i = 0; i < file.function_count(); ++i) {
      name_bytes += file.function(i).name.size() + 1;
    }
    EXPECT_LE(table.memory_bytes() + name_bytes, file.memory_bytes()) << name;
    // 12 bytes a function, half of ElfFile's 24 before its names.
    EXPECT_LE(table.memory_bytes(), 12 * table.function_count() + 512) << name;
    EXPECT_TRUE(table.function(0).name.empty()) << "names are read with name()";
  }
}

TEST(ElfFunctionTable, FromMemoryTheNamesAreCopied) {
  std::string path = fixture_path("ember_fixture_pie");
  std::string bytes = file_bytes(path);
  std::vector<unsigned char> image(bytes.begin(), bytes.end());
  ElfFunctionTable table;
  ASSERT_TRUE(ElfFunctionTable::open_memory(image, "image", table).is_ok());
  EXPECT_FALSE(table.names_in_file());
  std::fill(image.begin(), image.end(), 0);  // nothing may point into it
  expect_same_functions(read_whole(path), table, "from memory");
}

// A memfd holding `bytes`, open for writing.
int memfd_with(const std::string& bytes) {
  int fd = memfd_create("ember-table-test", MFD_CLOEXEC);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  return fd;
}

TEST(ElfFunctionTable, AFileTruncatedAfterItWasReadGivesEmptyNames) {
  int fd = memfd_with(file_bytes(fixture_path("ember_fixture_pie")));
  ElfFunctionTable table;
  ASSERT_TRUE(ElfFunctionTable::open_fd(fd, "memfd", table).is_ok());
  ASSERT_GT(table.function_count(), 3u);
  EXPECT_FALSE(table.name(0).empty());
  ASSERT_EQ(ftruncate(fd, 0), 0);
  close(fd);
  for (std::size_t i = 0; i < table.function_count(); ++i) EXPECT_EQ(table.name(i), "") << i;
  EXPECT_TRUE(table.find_function_index(table.function(0).address).has_value());
}

// The same size, other bytes (cp of another build over it): each name read
// would be another string, so none is given.
TEST(ElfFunctionTable, AFileRewrittenInPlaceGivesNoOtherNames) {
  std::string bytes = file_bytes(fixture_path("ember_fixture_pie"));
  int fd = memfd_with(bytes);
  ElfFunctionTable table;
  ASSERT_TRUE(ElfFunctionTable::open_fd(fd, "memfd", table).is_ok());
  ASSERT_TRUE(table.names_in_file());
  std::string first = table.name(0);
  ASSERT_FALSE(first.empty());
  for (char& c : bytes) {
    if (c >= 'a' && c < 'z') ++c;
  }
  ASSERT_EQ(pwrite(fd, bytes.data(), bytes.size(), 0), static_cast<ssize_t>(bytes.size()));
  // Its own modification time, whatever the clock's granularity.
  struct timespec times[2] = {{0, UTIME_OMIT}, {12345, 0}};
  ASSERT_EQ(futimens(fd, times), 0);
  close(fd);
  for (std::size_t i = 0; i < table.function_count(); ++i) EXPECT_EQ(table.name(i), "") << i;
}

TEST(ElfFunctionTable, AFileDeletedOrReplacedAfterItWasReadStillNamesItsFunctions) {
  std::string source = fixture_path("libember_fixture_lib.so");
  std::string path = ::testing::TempDir() + "ember_table_replaced.so";
  {
    std::ofstream out(path, std::ios::binary);
    out << file_bytes(source);
  }
  ElfFunctionTable table = read_table(path);
  ASSERT_TRUE(table.names_in_file());
  // A new file renamed over the path (an upgrade), then deleted.
  std::string other = path + ".new";
  {
    std::ofstream out(other, std::ios::binary);
    out << file_bytes(fixture_path("ember_fixture_pie"));
  }
  ASSERT_EQ(std::rename(other.c_str(), path.c_str()), 0);
  expect_same_functions(read_whole(source), table, "replaced");
  ASSERT_EQ(std::remove(path.c_str()), 0);
  expect_same_functions(read_whole(source), table, "deleted");
}

// No descriptor left to keep (RLIMIT_NOFILE reached): the names are copied.
TEST(ElfFunctionTable, WithoutADescriptorToKeepTheNamesAreInMemory) {
  std::string path = fixture_path("ember_fixture_pie");
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  int lowest_free = dup(fd);
  ASSERT_GE(lowest_free, 0);
  close(lowest_free);
  struct rlimit saved {};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  struct rlimit low = saved;
  low.rlim_cur = static_cast<rlim_t>(lowest_free);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  ElfFunctionTable table;
  Status status = ElfFunctionTable::open_fd(fd, path, table);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
  close(fd);
  ASSERT_TRUE(status.is_ok()) << status.message();
  EXPECT_FALSE(table.names_in_file());
  expect_same_functions(read_whole(path), table, "names in memory");
}

TEST(ElfFunctionTable, NonElfIsAClearError) {
  int fd = memfd_create("ember-table-text", MFD_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "#!/bin/sh\n", 10), 10);
  ElfFunctionTable table;
  Status status = ElfFunctionTable::open_fd(fd, "script", table);
  close(fd);
  ASSERT_FALSE(status.is_ok());
  EXPECT_NE(status.message().find("script: not an ELF file"), std::string::npos)
      << status.message();
  EXPECT_EQ(table.function_count(), 0u);
}


// The section headers' sizes of `path`'s symbol and string tables, by type.
std::uint64_t largest_section(const std::string& path, unsigned type) {
  elf_version(EV_CURRENT);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  Elf* elf = elf_begin(fd, ELF_C_READ, nullptr);
  std::uint64_t largest = 0;
  for (Elf_Scn* scn = elf ? elf_nextscn(elf, nullptr) : nullptr; scn; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) && shdr.sh_type == type) largest = std::max(largest, shdr.sh_size);
  }
  if (elf) elf_end(elf);
  ::close(fd);
  return largest;
}

// A .symtab and .strtab over two chunks long, aliases at one address, names
// across chunk ends: read from the file in chunks, the functions and names
// are those libelf gives from the whole image in memory.
TEST(ElfFunctionTable, SymbolTablesLargerThanAChunkReadTheSameAsWhole) {
  std::string path = fixture_path("libember_fixture_many.so");
  ASSERT_GT(largest_section(path, SHT_SYMTAB), 2 * elf_chunks::kChunkBytes);
  ASSERT_GT(largest_section(path, SHT_STRTAB), 2 * elf_chunks::kChunkBytes);
  std::string bytes = file_bytes(path);
  std::vector<unsigned char> image(bytes.begin(), bytes.end());
  ElfFile whole;
  ASSERT_TRUE(ElfFile::open_memory(image, "image", whole, ElfReadOptions{.data_symbols = false})
                  .is_ok());
  ASSERT_GT(whole.function_count(), 6000u);
  EXPECT_EQ(whole.find_function(whole.find_symbol("fixture_many_alias_7")->address)->name,
            "fixture_many_alias_7")
      << "of two global aliases of one size, the first by name";
  ElfFunctionTable table = read_table(path);
  EXPECT_TRUE(table.names_in_file());
  expect_same_functions(whole, table, "names in the file");
  // ElfFile from the file: its symbols in chunks, its names as before.
  ElfFile chunked = read_whole(path);
  ASSERT_EQ(chunked.function_count(), whole.function_count());
  for (std::size_t i = 0; i < whole.function_count(); ++i) {
    ASSERT_EQ(chunked.function(i).address, whole.function(i).address) << i;
    ASSERT_EQ(chunked.function(i).name, whole.function(i).name) << i;
  }
}

// A file cut anywhere reads as libelf reads the same bytes in memory: a
// table past the end is left out, what remains is named right; never a
// crash nor a read past the end.
TEST(ElfFunctionTable, ATruncatedFileReadsAsLibelfReadsItInMemory) {
  std::string bytes = file_bytes(fixture_path("ember_fixture_pie"));
  for (std::size_t cut = bytes.size() / 8; cut < bytes.size(); cut += bytes.size() / 61) {
    std::string part = bytes.substr(0, cut);
    std::vector<unsigned char> image(part.begin(), part.end());
    ElfFile whole;
    Status in_memory =
        ElfFile::open_memory(image, "image", whole, ElfReadOptions{.data_symbols = false});
    int fd = memfd_with(part);
    ElfFunctionTable table;
    Status from_file = ElfFunctionTable::open_fd(fd, "memfd", table);
    close(fd);
    ASSERT_EQ(from_file.is_ok(), in_memory.is_ok()) << "cut at " << cut << ": "
                                                    << from_file.message() << in_memory.message();
    ASSERT_EQ(table.function_count(), whole.function_count()) << "cut at " << cut;
    for (std::size_t i = 0; i < whole.function_count(); ++i) {
      EXPECT_EQ(table.function(i).address, whole.function(i).address) << cut << " #" << i;
      EXPECT_EQ(table.name(i), whole.function(i).name) << cut << " #" << i;
    }
  }
}

// A table that comes short while read (the file truncated under the
// reader) is an error, not what was read before the end.
TEST(ElfChunks, AReadThatComesShortFails) {
  std::string bytes = file_bytes(fixture_path("ember_fixture_pie"));
  int fd = memfd_with(bytes);
  std::string text;
  elf_chunks::StringChunks strings(fd, 0, bytes.size() + 1);
  EXPECT_EQ(strings.string_at(bytes.size() - 1, true, text),
            elf_chunks::StringChunks::Read::failed);
  EXPECT_EQ(strings.string_at(bytes.size() + 1, true, text),
            elf_chunks::StringChunks::Read::invalid) << "past the table";

  elf_version(EV_CURRENT);
  Elf* elf = elf_begin(fd, ELF_C_READ, nullptr);
  ASSERT_NE(elf, nullptr);
  std::size_t entry = gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT);
  // Two chunks and a half claimed where only the first and a bit exist.
  std::uint64_t claimed = (5 * elf_chunks::kChunkBytes / 2) / entry * entry;
  ASSERT_EQ(ftruncate(fd, static_cast<off_t>(elf_chunks::kChunkBytes + 100)), 0);
  elf_chunks::SymbolChunks symbols(elf, fd, 0, claimed);
  GElf_Sym sym;
  std::size_t read = 0;
  while (symbols.next(sym)) ++read;
  EXPECT_TRUE(symbols.failed());
  EXPECT_LE(read * entry, elf_chunks::kChunkBytes);
  elf_end(elf);
  close(fd);
}

}  // namespace
}  // namespace ember

// LineTable against line programs assembled here (each opcode, both header
// layouts, malformed ones) and against libdw on real DWARF: this test
// program's own units, where both must give the same row for every address.
#include "line_table.hpp"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <gelf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <string>
#include <vector>

namespace ember::native {
namespace {

// Assembles one line program unit (.debug_line contents) opcode by opcode.
class Program {
 public:
  static constexpr int kLineBase = -5;
  static constexpr unsigned kLineRange = 14;
  static constexpr unsigned kOpcodeBase = 13;

  // DWARF 4: directories and files as strings; files count from 1.
  static Program v4(std::vector<std::string> directories,
                    std::vector<std::pair<std::string, unsigned>> files) {
    Program program(4);
    for (const std::string& directory : directories) program.header_ += directory + '\0';
    program.header_ += '\0';
    for (const auto& [name, directory] : files) {
      program.header_ += name + '\0';
      program.header_ += static_cast<char>(directory);
      program.header_ += '\0';  // mtime
      program.header_ += '\0';  // length
    }
    program.header_ += '\0';
    return program;
  }

  // DWARF 5: paths in .debug_line_str (line_strp), directory indexes as udata.
  static Program v5(std::string& line_str, std::vector<std::string> directories,
                    std::vector<std::pair<std::string, unsigned>> files) {
    Program program(5);
    std::string& h = program.header_;
    auto strp = [&](const std::string& text) {
      std::uint32_t offset = static_cast<std::uint32_t>(line_str.size());
      line_str += text + '\0';
      h.append(reinterpret_cast<const char*>(&offset), 4);
    };
    h += '\1';  // directory formats: path as line_strp
    h += static_cast<char>(DW_LNCT_path);
    h += static_cast<char>(DW_FORM_line_strp);
    h += static_cast<char>(directories.size());
    for (const std::string& directory : directories) strp(directory);
    h += '\3';  // file formats: path, directory index, MD5
    h += static_cast<char>(DW_LNCT_path);
    h += static_cast<char>(DW_FORM_line_strp);
    h += static_cast<char>(DW_LNCT_directory_index);
    h += static_cast<char>(DW_FORM_udata);
    h += static_cast<char>(DW_LNCT_MD5);
    h += static_cast<char>(DW_FORM_data16);
    h += static_cast<char>(files.size());
    for (const auto& [name, directory] : files) {
      strp(name);
      h += static_cast<char>(directory);
      h += std::string(16, '\x5a');
    }
    return program;
  }

  // DWARF 5 with its directory and file tables as given, byte for byte.
  static Program v5_tables(const std::string& tables) {
    Program program(5);
    program.header_ = tables;
    return program;
  }

  // An extended opcode whose length says `length`, with nothing after it.
  Program& extended_claiming(std::uint64_t length, std::uint8_t opcode) {
    program_ += '\0';
    uleb(length);
    program_ += static_cast<char>(opcode);
    return *this;
  }

  Program& set_address(std::uint64_t address) {
    extended(DW_LNE_set_address, std::string(reinterpret_cast<const char*>(&address), 8));
    return *this;
  }
  Program& end_sequence() { return extended(DW_LNE_end_sequence, ""); }
  Program& copy() { return op(DW_LNS_copy); }
  Program& advance_pc(unsigned delta) { return op(DW_LNS_advance_pc).uleb(delta); }
  Program& advance_line(int delta) { return op(DW_LNS_advance_line).sleb(delta); }
  Program& set_file(unsigned file) { return op(DW_LNS_set_file).uleb(file); }
  Program& set_column(unsigned column) { return op(DW_LNS_set_column).uleb(column); }
  Program& const_add_pc() { return op(DW_LNS_const_add_pc); }
  Program& fixed_advance_pc(std::uint16_t delta) {
    op(DW_LNS_fixed_advance_pc);
    program_.append(reinterpret_cast<const char*>(&delta), 2);
    return *this;
  }
  // A row `address_delta` and `line_delta` on, in one byte.
  Program& special(unsigned address_delta, int line_delta) {
    unsigned opcode = static_cast<unsigned>(line_delta - kLineBase) + kLineRange * address_delta +
                      kOpcodeBase;
    EXPECT_LE(opcode, 255u);
    return op(static_cast<std::uint8_t>(opcode));
  }

  // The unit: length, version, header, program.
  std::string bytes() const {
    std::string rest;
    rest.append(reinterpret_cast<const char*>(&version_), 2);
    if (version_ >= 5) rest += std::string{'\x08', '\x00'};  // address size, segment selector size
    std::string after_length;
    after_length += '\1';                                    // minimum instruction length
    if (version_ >= 4) after_length += '\1';                 // operations per instruction
    after_length += '\1';                                    // default_is_stmt
    after_length += static_cast<char>(kLineBase);
    after_length += static_cast<char>(kLineRange);
    after_length += static_cast<char>(kOpcodeBase);
    after_length += std::string{0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1};  // standard opcode lengths
    after_length += header_;
    std::uint32_t header_length = static_cast<std::uint32_t>(after_length.size());
    rest.append(reinterpret_cast<const char*>(&header_length), 4);
    rest += after_length + program_;
    std::uint32_t unit_length = static_cast<std::uint32_t>(rest.size());
    return std::string(reinterpret_cast<const char*>(&unit_length), 4) + rest;
  }

 private:
  explicit Program(std::uint16_t version) : version_(version) {}
  Program& op(std::uint8_t opcode) {
    program_ += static_cast<char>(opcode);
    return *this;
  }
  Program& uleb(std::uint64_t value) {
    do {
      std::uint8_t byte = value & 0x7f;
      value >>= 7;
      program_ += static_cast<char>(byte | (value ? 0x80 : 0));
    } while (value);
    return *this;
  }
  Program& sleb(std::int64_t value) {
    bool more = true;
    while (more) {
      std::uint8_t byte = value & 0x7f;
      value >>= 7;
      more = !((value == 0 && !(byte & 0x40)) || (value == -1 && (byte & 0x40)));
      program_ += static_cast<char>(byte | (more ? 0x80 : 0));
    }
    return *this;
  }
  Program& extended(std::uint8_t opcode, const std::string& operand) {
    program_ += '\0';
    uleb(operand.size() + 1);
    program_ += static_cast<char>(opcode);
    program_ += operand;
    return *this;
  }

  std::uint16_t version_;
  std::string header_;
  std::string program_;
};

std::unique_ptr<LineTable> read_table(const std::string& line, const std::string& line_str = "",
                                      std::uint64_t offset = 0) {
  std::string why;
  auto table = LineTable::read({line, line_str, {}}, offset, why);
  EXPECT_TRUE(table) << why;
  return table;
}

// The table reads the section in place: a temporary would be gone.
std::unique_ptr<LineTable> read_table(std::string&& line, const std::string& line_str = "",
                                      std::uint64_t offset = 0) = delete;

LineTable::Row row_at(const LineTable& table, std::uint64_t vaddr) {
  LineTable::Row row;
  EXPECT_TRUE(table.find(vaddr, row)) << std::hex << vaddr;
  return row;
}

TEST(LineTable, EveryAddressOfALongSequenceGetsTheRowAtOrBeforeIt) {
  // 200 rows, 3 bytes apart, lines 10, 11, ...: far more than one checkpoint.
  Program program = Program::v4({}, {{"a.c", 0}});
  program.set_address(0x401000).advance_line(9).copy();
  for (int i = 1; i < 200; ++i) program.special(3, 1);
  program.advance_pc(3).end_sequence();
  const std::string bytes = program.bytes();  // the table reads it in place
  auto table = read_table(bytes);
  ASSERT_TRUE(table);
  EXPECT_EQ(table->rows(), 201u);
  for (std::uint64_t vaddr = 0x401000; vaddr < 0x401000 + 600; ++vaddr) {
    EXPECT_EQ(row_at(*table, vaddr).line, 10 + (vaddr - 0x401000) / 3) << std::hex << vaddr;
  }
  LineTable::Row row;
  EXPECT_FALSE(table->find(0x400fff, row));
  EXPECT_FALSE(table->find(0x401000 + 600, row));  // the end_sequence address is past it
}

TEST(LineTable, EachOpcodeMovesTheAddressAndLineAsTheStandardSays) {
  Program program = Program::v4({"include"}, {{"a.c", 0}, {"b.h", 1}});
  program.set_address(0x1000).copy();             // 0x1000 a.c:1
  program.set_column(7).advance_pc(0x10).advance_line(41).copy();  // 0x1010 a.c:42
  program.const_add_pc().set_file(2).copy();  // +17 (const_add_pc: (255-13)/14): 0x1021 b.h:42
  program.fixed_advance_pc(0x100).advance_line(-40).copy();  // 0x1121 b.h:2
  program.special(4, -1);                                   // 0x1125 b.h:1
  program.advance_pc(2).end_sequence();                     // ends at 0x1127
  const std::string bytes = program.bytes();  // the table reads it in place
  auto table = read_table(bytes);
  ASSERT_TRUE(table);
  struct Expected {
    std::uint64_t vaddr;
    std::uint32_t line;
    const char* file;
  };
  for (Expected e : {Expected{0x1000, 1, "a.c"}, {0x100f, 1, "a.c"}, {0x1010, 42, "a.c"},
                     {0x1020, 42, "a.c"}, {0x1021, 42, "include/b.h"}, {0x1120, 42, "include/b.h"},
                     {0x1121, 2, "include/b.h"}, {0x1125, 1, "include/b.h"},
                     {0x1126, 1, "include/b.h"}}) {
    LineTable::Row row = row_at(*table, e.vaddr);
    EXPECT_EQ(row.line, e.line) << std::hex << e.vaddr;
    std::optional<std::string> file = table->file_name(row.file);
    ASSERT_TRUE(file) << std::hex << e.vaddr;
    EXPECT_EQ(*file, e.file) << std::hex << e.vaddr;
  }
  LineTable::Row row;
  EXPECT_FALSE(table->find(0x1127, row));
  EXPECT_FALSE(table->file_name(0));  // DWARF 4 numbers files from 1
  EXPECT_FALSE(table->file_name(3));
}

TEST(LineTable, SeveralRowsAtOneAddressGiveTheLastOne) {
  Program program = Program::v4({}, {{"a.c", 0}});
  program.set_address(0x2000).advance_line(9).copy();  // line 10
  program.advance_line(5).copy();                      // line 15, same address
  program.special(4, 1);                               // 0x2004 line 16
  program.advance_pc(4).end_sequence();
  const std::string bytes = program.bytes();  // the table reads it in place
  auto table = read_table(bytes);
  ASSERT_TRUE(table);
  EXPECT_EQ(row_at(*table, 0x2000).line, 15u);
  EXPECT_EQ(row_at(*table, 0x2003).line, 15u);
  EXPECT_EQ(row_at(*table, 0x2004).line, 16u);
}

TEST(LineTable, SequencesAreFoundInAnyOrderAndDiscardedOnesCoverNothing) {
  Program program = Program::v4({}, {{"a.c", 0}});
  program.set_address(0x5000).advance_line(99).copy().advance_pc(0x10).end_sequence();  // line 100
  program.set_address(0).advance_line(199).copy().advance_pc(0x10).end_sequence();  // a tombstone
  program.set_address(0x3000).advance_line(299).copy().advance_pc(0x10).end_sequence();  // line 300
  program.set_address(0x4000).copy().end_sequence();  // empty: covers nothing
  const std::string bytes = program.bytes();  // the table reads it in place
  auto table = read_table(bytes);
  ASSERT_TRUE(table);
  EXPECT_EQ(row_at(*table, 0x5008).line, 100u);
  EXPECT_EQ(row_at(*table, 0x3008).line, 300u);
  LineTable::Row row;
  EXPECT_FALSE(table->find(0x4000, row));
  EXPECT_FALSE(table->find(0x3010, row));  // between sequences
}

// Rows keep their address as 32 bits from their sequence's start.
TEST(LineTable, SequencesGoingBackOrOver4GiBCoverNothing) {
  Program program = Program::v4({}, {{"a.c", 0}});
  program.set_address(0x5000).advance_line(99).copy().advance_pc(0x10).end_sequence();  // line 100
  // Discarded: the tombstone address -1 wraps to 0xf.
  program.set_address(~std::uint64_t{0}).advance_line(100).copy().advance_pc(0x10).end_sequence();
  program.set_address(0x7000).advance_line(100).copy();
  program.set_address(0x6000).copy().advance_pc(0x10).end_sequence();  // goes back
  program.set_address(0x1000).copy();
  program.set_address(0x1000 + (std::uint64_t{1} << 32) + 0x10).copy().end_sequence();
  program.set_address(0x3000).advance_line(299).copy().advance_pc(0x10).end_sequence();  // line 300
  const std::string bytes = program.bytes();
  auto table = read_table(bytes);
  ASSERT_TRUE(table);
  EXPECT_EQ(row_at(*table, 0x5008).line, 100u);
  EXPECT_EQ(row_at(*table, 0x3008).line, 300u);
  LineTable::Row row;
  for (std::uint64_t vaddr : {std::uint64_t{0x8}, std::uint64_t{0x6008}, std::uint64_t{0x7008},
                              std::uint64_t{0x1008}, std::uint64_t{0x100001000}}) {
    EXPECT_FALSE(table->find(vaddr, row)) << std::hex << vaddr;
  }
}

TEST(LineTable, Dwarf5FilesComeFromLineStrWithTheirDirectories) {
  std::string line_str = "padding";
  line_str += '\0';
  Program program = Program::v5(line_str, {"/src/project", "lib", "/usr/include"},
                                {{"main.c", 0}, {"util.c", 1}, {"stdio.h", 2}, {"/abs/x.c", 1}});
  program.set_address(0x1000).set_file(0).copy();
  program.set_file(2).special(8, 4);
  program.advance_pc(8).end_sequence();
  const std::string bytes = program.bytes();
  auto table = read_table(bytes, line_str);
  ASSERT_TRUE(table);
  ASSERT_TRUE(table->file_name(0));
  EXPECT_EQ(*table->file_name(0), "/src/project/main.c");  // DWARF 5 numbers files from 0
  EXPECT_EQ(*table->file_name(1), "lib/util.c");
  EXPECT_EQ(*table->file_name(2), "/usr/include/stdio.h");
  EXPECT_EQ(*table->file_name(3), "/abs/x.c");
  EXPECT_EQ(row_at(*table, 0x1004).file, 0u);
  LineTable::Row row = row_at(*table, 0x1008);
  EXPECT_EQ(row.file, 2u);
  EXPECT_EQ(row.line, 5u);
}

TEST(LineTable, ASecondUnitIsReadAtItsOffset) {
  Program first = Program::v4({}, {{"first.c", 0}});
  first.set_address(0x1000).copy().advance_pc(4).end_sequence();
  Program second = Program::v4({}, {{"second.c", 0}});
  second.set_address(0x2000).advance_line(6).copy().advance_pc(4).end_sequence();
  std::string section = first.bytes() + second.bytes();
  auto table = read_table(section, "", first.bytes().size());
  ASSERT_TRUE(table);
  EXPECT_EQ(row_at(*table, 0x2000).line, 7u);
  EXPECT_EQ(*table->file_name(1), "second.c");
  LineTable::Row row;
  EXPECT_FALSE(table->find(0x1000, row));
}

TEST(LineTable, MalformedProgramsAreRefusedWithAReason) {
  Program program = Program::v4({}, {{"a.c", 0}});
  program.set_address(0x1000).copy().advance_pc(4).end_sequence();
  const std::string good = program.bytes();
  auto refused = [](const std::string& bytes, std::uint64_t offset = 0) {
    std::string why;
    bool read = LineTable::read({bytes, {}, {}}, offset, why) != nullptr;
    EXPECT_FALSE(why.empty() && !read);
    return !read;
  };
  EXPECT_FALSE(refused(good));
  // Cut anywhere: the unit length runs past the section.
  for (std::size_t size = 0; size < good.size(); ++size) {
    EXPECT_TRUE(refused(good.substr(0, size))) << size;
  }
  EXPECT_TRUE(refused(good, good.size() + 8));  // offset past the section
  std::string version = good;
  version[4] = 9;
  EXPECT_TRUE(refused(version));
  std::string vliw = good;
  vliw[4 + 2 + 4 + 1] = 2;  // maximum operations per instruction
  EXPECT_TRUE(refused(vliw));
  std::string no_range = good;
  no_range[4 + 2 + 4 + 4] = 0;  // line_range
  EXPECT_TRUE(refused(no_range));
  // A program whose last opcode's operand runs past the unit.
  Program cut = Program::v4({}, {{"a.c", 0}});
  cut.set_address(0x1000).copy().advance_pc(4).end_sequence();
  std::string truncated = cut.bytes();
  truncated += '\x02';  // advance_pc with its operand missing
  std::uint32_t length = static_cast<std::uint32_t>(truncated.size() - 4);
  std::memcpy(truncated.data(), &length, 4);
  EXPECT_TRUE(refused(truncated));
  // Lengths and counts that would have the reader loop or seek backwards.
  Program huge = Program::v4({}, {{"a.c", 0}});
  huge.set_address(0x1000).copy().extended_claiming(~std::uint64_t{0}, DW_LNE_set_discriminator);
  EXPECT_TRUE(refused(huge.bytes()));
  std::string no_formats;
  no_formats += '\0';                 // directory formats: none
  no_formats += "\xff\xff\xff\xff\x0f";  // yet 2^32-1 directories
  no_formats += '\0';
  no_formats += '\0';
  Program formatless = Program::v5_tables(no_formats);
  formatless.set_address(0x1000).copy().advance_pc(4).end_sequence();
  EXPECT_TRUE(refused(formatless.bytes()));
}

// libdw's row for every row address of this program's own DWARF.
TEST(LineTable, GivesLibdwsRowForEveryRowOfThisProgram) {
  int fd = ::open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  Dwarf* dwarf = dwarf_begin(fd, DWARF_C_READ);
  ASSERT_TRUE(dwarf) << "the unit tests are built with -g";
  Elf* elf = dwarf_getelf(dwarf);
  std::size_t names = 0;
  ASSERT_EQ(elf_getshdrstrndx(elf, &names), 0);
  LineSections sections;
  // Rows below the program's first code are of functions the linker
  // discarded (--gc-sections, COMDAT): their sequences start at 0.
  GElf_Addr code_start = ~GElf_Addr{0};
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr shdr;
    ASSERT_TRUE(gelf_getshdr(scn, &shdr));
    if (shdr.sh_flags & SHF_EXECINSTR) code_start = std::min(code_start, shdr.sh_addr);
    std::string name = elf_strptr(elf, names, shdr.sh_name);
    std::string_view* into = name == ".debug_line"       ? &sections.line
                             : name == ".debug_line_str" ? &sections.line_str
                             : name == ".debug_str"      ? &sections.str
                                                         : nullptr;
    Elf_Data* data = into ? elf_getdata(scn, nullptr) : nullptr;
    if (data) *into = {static_cast<const char*>(data->d_buf), data->d_size};
  }
  std::size_t units = 0;
  std::size_t compared = 0;
  Dwarf_CU* cu = nullptr;
  Dwarf_Die unit;
  while (dwarf_get_units(dwarf, cu, &cu, nullptr, nullptr, &unit, nullptr) == 0) {
    Dwarf_Attribute attribute;
    Dwarf_Word offset = 0;
    if (dwarf_formudata(dwarf_attr(&unit, DW_AT_stmt_list, &attribute), &offset) != 0) continue;
    std::string why;
    auto table = LineTable::read(sections, offset, why);
    ASSERT_TRUE(table) << why;
    Dwarf_Lines* lines = nullptr;
    std::size_t count = 0;
    ASSERT_EQ(dwarf_getsrclines(&unit, &lines, &count), 0);
    ++units;
    // A row at the address where a sequence ends covers no instruction
    // (libdw still answers for it).
    std::set<Dwarf_Addr> sequence_ends;
    for (std::size_t i = 0; i < count; ++i) {
      Dwarf_Addr address = 0;
      bool end = false;
      dwarf_lineaddr(dwarf_onesrcline(lines, i), &address);
      dwarf_lineendsequence(dwarf_onesrcline(lines, i), &end);
      if (end) sequence_ends.insert(address);
    }
    for (std::size_t i = 0; i < count; ++i) {
      Dwarf_Addr address = 0;
      bool end = false;
      Dwarf_Line* line = dwarf_onesrcline(lines, i);
      dwarf_lineaddr(line, &address);
      dwarf_lineendsequence(line, &end);
      if (end || address < code_start || sequence_ends.count(address)) continue;
      Dwarf_Line* expected = dwarf_getsrc_die(&unit, address);
      ASSERT_TRUE(expected);
      int expected_line = 0;
      dwarf_lineno(expected, &expected_line);
      const char* expected_file = dwarf_linesrc(expected, nullptr, nullptr);
      LineTable::Row row;
      ASSERT_TRUE(table->find(address, row)) << std::hex << address;
      ASSERT_EQ(row.line, static_cast<std::uint32_t>(expected_line)) << std::hex << address;
      std::optional<std::string> file = table->file_name(row.file);
      ASSERT_TRUE(file && expected_file) << std::hex << address;
      // libdw joins the compilation directory in front of relative names.
      std::string libdw_file = expected_file;
      ASSERT_GE(libdw_file.size(), file->size());
      EXPECT_EQ(libdw_file.substr(libdw_file.size() - file->size()), *file) << std::hex << address;
      ++compared;
    }
  }
  dwarf_end(dwarf);
  ::close(fd);
  EXPECT_GT(units, 0u);
  EXPECT_GT(compared, 1000u);
}

}  // namespace
}  // namespace ember::native

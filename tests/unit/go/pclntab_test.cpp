// The pclntab reader on synthetic tables of the three layouts, and on
// tables broken in the ways a truncated or corrupt file breaks them.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "detect.hpp"
#include "pclntab.hpp"
#include "table_builder.hpp"

namespace ember::go {
namespace {

using testing::build_table;
using testing::BuiltTable;
using testing::sample_spec;

std::string describe(const std::vector<GoFrame>& frames) {
  std::string out;
  for (const GoFrame& f : frames) {
    out += std::string(f.function) + " " + std::string(f.file) + ":" + std::to_string(f.line) +
           (f.inlined ? " [inlined]" : "") + "\n";
  }
  return out;
}

std::string frames_at(const Pclntab& table, std::uint64_t pc) {
  std::vector<GoFrame> frames;
  if (!table.frames(pc, frames)) return "(none)";
  return describe(frames);
}

class Layouts : public ::testing::TestWithParam<PclntabVersion> {};

TEST_P(Layouts, NamesFilesLinesAndInlinedCalls) {
  BuiltTable built = build_table(sample_spec(GetParam()));
  Pclntab table;
  ASSERT_TRUE(Pclntab::parse(built.table, built.table_vaddr, table).is_ok());
  built.attach_inline_data(table);
  EXPECT_EQ(table.version(), GetParam());
  EXPECT_EQ(table.function_count(), 3u);
  EXPECT_EQ(table.text_start(), 0x401000u);
  EXPECT_EQ(table.text_end(), 0x4010b0u);
  EXPECT_EQ(table.function_name(1), "main.work");

  EXPECT_EQ(frames_at(table, 0x401000), "main.main /src/main.go:10\n");
  EXPECT_EQ(frames_at(table, 0x40103f), "main.main /src/main.go:11\n");
  EXPECT_EQ(frames_at(table, 0x401050), "main.work /src/main.go:21\n");
  EXPECT_EQ(frames_at(table, 0x401062),
            "main.hot /src/hot.go:31 [inlined]\n"
            "main.work /src/main.go:21\n");
  EXPECT_EQ(frames_at(table, 0x40106a),
            "main.deeper /src/deeper.go:41 [inlined]\n"
            "main.hot /src/hot.go:31 [inlined]\n"
            "main.work /src/main.go:21\n");
  EXPECT_EQ(frames_at(table, 0x401070), "main.work /src/main.go:22\n");
  // No line table: named, no position.
  EXPECT_EQ(frames_at(table, 0x4010a4), "runtime.goexit :0\n");
  // Outside every function.
  EXPECT_EQ(frames_at(table, 0x400fff), "(none)");
  EXPECT_EQ(frames_at(table, 0x4010b0), "(none)");
}

TEST_P(Layouts, StackPointerDeltas) {
  BuiltTable built = build_table(sample_spec(GetParam()));
  Pclntab table;
  ASSERT_TRUE(Pclntab::parse(built.table, built.table_vaddr, table).is_ok());
  EXPECT_EQ(table.sp_delta(0x401040), 0);
  EXPECT_EQ(table.sp_delta(0x401044), 0x18);
  EXPECT_EQ(table.sp_delta(0x40109b), 0x18);
  EXPECT_EQ(table.sp_delta(0x40109c), 0);
  EXPECT_EQ(table.sp_delta(0x401000), std::nullopt);  // main.main has no pcsp table
  EXPECT_EQ(table.sp_delta(0x4010b0), std::nullopt);
}

TEST_P(Layouts, WithoutInlineDataNamesTheOutermostFunction) {
  BuiltTable built = build_table(sample_spec(GetParam()));
  Pclntab table;
  ASSERT_TRUE(Pclntab::parse(built.table, built.table_vaddr, table).is_ok());
  EXPECT_EQ(frames_at(table, 0x40106a), "main.work /src/deeper.go:41\n");
}

// The same table inside an ELF image without section headers: found by
// scan, the version from the build info blob, and (1.18+) the inline trees
// through the moduledata that points at the table.
TEST_P(Layouts, DetectedInAnElfWithoutSections) {
  BuiltTable built = build_table(sample_spec(GetParam()));
  std::vector<std::uint8_t> image = testing::elf_image(built, GetParam(), "go1.20.14");
  ElfView file;
  ASSERT_TRUE(ElfView::from_memory(image, file).is_ok());
  GoBinary go;
  Status status = detect(std::move(file), go);
  ASSERT_TRUE(status.is_ok()) << status.message();
  ASSERT_TRUE(go.is_go);
  EXPECT_EQ(go.version, "go1.20.14");
  EXPECT_EQ(go.pclntab_vaddr, built.table_vaddr);
  EXPECT_TRUE(go.inline_trees) << go.inline_trees_missing;
  EXPECT_EQ(frames_at(go.table, 0x40106a),
            "main.deeper /src/deeper.go:41 [inlined]\n"
            "main.hot /src/hot.go:31 [inlined]\n"
            "main.work /src/main.go:21\n");
}

TEST(Detect, WithoutModuledataInlinedCallsAreNotExpanded) {
  for (PclntabVersion version : {PclntabVersion::go118, PclntabVersion::go120}) {
    BuiltTable built = build_table(sample_spec(version));
    std::vector<std::uint8_t> image = testing::elf_image(built, version, "go1.20.14");
    // Break the moduledata's pointer at the table: its last occurrence (the
    // writable segment is the image's last; a program header holds it too).
    std::uint64_t table = built.table_vaddr;
    auto at = std::find_end(image.begin(), image.end(), reinterpret_cast<std::uint8_t*>(&table),
                            reinterpret_cast<std::uint8_t*>(&table) + 8);
    ASSERT_NE(at, image.end());
    *at ^= 0x40;
    ElfView file;
    ASSERT_TRUE(ElfView::from_memory(image, file).is_ok());
    GoBinary go;
    ASSERT_TRUE(detect(std::move(file), go).is_ok());
    EXPECT_FALSE(go.inline_trees);
    EXPECT_NE(go.inline_trees_missing.find("moduledata"), std::string::npos);
    EXPECT_EQ(frames_at(go.table, 0x40106a), "main.work /src/deeper.go:41\n");
  }
}

INSTANTIATE_TEST_SUITE_P(Go, Layouts,
                         ::testing::Values(PclntabVersion::go116, PclntabVersion::go118,
                                           PclntabVersion::go120),
                         [](const auto& info) {
                           switch (info.param) {
                             case PclntabVersion::go116: return std::string("go116");
                             case PclntabVersion::go118: return std::string("go118");
                             default: return std::string("go120");
                           }
                         });

std::string parse_error(const std::vector<std::uint8_t>& bytes) {
  Pclntab table;
  Status status = Pclntab::parse(bytes, 0x500000, table);
  return status ? "ok" : status.message();
}

TEST(CorruptTables, EveryTruncationOfTheHeaderIsAnError) {
  BuiltTable built = build_table(sample_spec(PclntabVersion::go118));
  for (std::size_t size = 0; size < 72; ++size) {
    std::vector<std::uint8_t> cut(built.table.begin(), built.table.begin() + size);
    EXPECT_NE(parse_error(cut), "ok") << size << " bytes";
  }
}

TEST(CorruptTables, TruncatedFunctionTableIsAnError) {
  BuiltTable built = build_table(sample_spec(PclntabVersion::go120));
  built.table.erase(built.table.end() - 200, built.table.end());
  EXPECT_NE(parse_error(built.table), "ok");
}

TEST(CorruptTables, UnreadVersionsAndByteOrdersSaySo) {
  BuiltTable built = build_table(sample_spec(PclntabVersion::go118));
  std::vector<std::uint8_t> old = built.table;
  old[0] = 0xfb;
  EXPECT_NE(parse_error(old).find("Go 1.2-1.15"), std::string::npos);
  std::vector<std::uint8_t> big = built.table;
  big[0] = 0xff;
  big[3] = 0xf0;
  EXPECT_NE(parse_error(big).find("big-endian"), std::string::npos);
  std::vector<std::uint8_t> none = built.table;
  none[0] = 0x12;
  EXPECT_NE(parse_error(none).find("no Go pclntab magic"), std::string::npos);
  std::vector<std::uint8_t> quantum = built.table;
  quantum[6] = 3;
  EXPECT_NE(parse_error(quantum).find("quantum"), std::string::npos);
}

TEST(CorruptTables, HeaderCountsAndOffsetsAreChecked) {
  BuiltTable built = build_table(sample_spec(PclntabVersion::go118));
  std::vector<std::uint8_t> many = built.table;
  testing::detail::put_at<std::uint64_t>(many, 8, 1u << 30);  // nfunc
  EXPECT_NE(parse_error(many).find("do not fit"), std::string::npos);
  std::vector<std::uint8_t> order = built.table;
  testing::detail::put_at<std::uint64_t>(order, 8 + 4 * 8, 1u << 20);  // cutab past the end
  EXPECT_NE(parse_error(order).find("out of order or bounds"), std::string::npos);
}

// Offset of the function table (the last header word) in a 1.18 table.
std::size_t functab_offset(const std::vector<std::uint8_t>& table) {
  std::uint64_t v;
  std::memcpy(&v, table.data() + 8 + 7 * 8, 8);
  return static_cast<std::size_t>(v);
}

TEST(CorruptTables, UnsortedOrOutOfBoundsFunctionsAreErrors) {
  BuiltTable built = build_table(sample_spec(PclntabVersion::go118));
  std::size_t ftab = functab_offset(built.table);
  std::vector<std::uint8_t> unsorted = built.table;
  testing::detail::put_at<std::uint32_t>(unsorted, ftab + 8, 0x1000);  // entry of function 1
  EXPECT_NE(parse_error(unsorted).find("not sorted"), std::string::npos);
  std::vector<std::uint8_t> outside = built.table;
  testing::detail::put_at<std::uint32_t>(outside, ftab + 8 + 4, 0x7fffffff);  // funcoff of 1
  EXPECT_NE(parse_error(outside).find("outside the table"), std::string::npos);
}

TEST(CorruptTables, ARecordDisagreeingWithTheTableNamesNothing) {
  BuiltTable built = build_table(sample_spec(PclntabVersion::go118));
  std::size_t ftab = functab_offset(built.table);
  std::uint32_t funcoff;
  std::memcpy(&funcoff, built.table.data() + ftab + 8 + 4, 4);
  testing::detail::put_at<std::uint32_t>(built.table, ftab + funcoff, 0x4444);  // entryoff
  Pclntab table;
  ASSERT_TRUE(Pclntab::parse(built.table, built.table_vaddr, table).is_ok());
  EXPECT_EQ(frames_at(table, 0x401050), "(none)");
  EXPECT_EQ(frames_at(table, 0x401000), "main.main /src/main.go:10\n");
}

TEST(CorruptTables, AnInlineTreeThatLoopsIsCut) {
  testing::TableSpec spec = sample_spec(PclntabVersion::go120);
  spec.functions[1].inlined[1].parent_pc = 0x28;  // deeper's call site is deeper itself
  BuiltTable built = build_table(spec);
  Pclntab table;
  ASSERT_TRUE(Pclntab::parse(built.table, built.table_vaddr, table).is_ok());
  built.attach_inline_data(table);
  std::vector<GoFrame> frames;
  ASSERT_TRUE(table.frames(0x40106a, frames));
  EXPECT_EQ(frames.size(), Pclntab::kMaxInlineDepth + 1);
  EXPECT_EQ(frames.back().function, "main.work");
  EXPECT_FALSE(frames.back().inlined);
}

TEST(CorruptTables, NamesAndFilesOutsideTheirRegionsAreEmpty) {
  testing::TableSpec spec = sample_spec(PclntabVersion::go118);
  spec.functions[0].files = {{0x40, 7}};  // no such file in the CU
  BuiltTable built = build_table(spec);
  Pclntab table;
  ASSERT_TRUE(Pclntab::parse(built.table, built.table_vaddr, table).is_ok());
  EXPECT_EQ(frames_at(table, 0x401000), "main.main :10\n");
}

}  // namespace
}  // namespace ember::go

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "debug_offsets.hpp"
#include "detect.hpp"
#include "image.hpp"
#include "pythons.hpp"

namespace ember::cpython {
namespace {

using testing::all_pythons;
using testing::pyenv_pythons;
using testing::run;

// name=value for every field the version has, as live_offsets.py takes them.
std::string offset_arguments(const cpython_offsets& o) {
  std::string out;
  auto add = [&](const char* name, __u32 value) {
    if (value != CPYTHON_OFFSET_NONE) out += std::string(" ") + name + "=" + std::to_string(value);
  };
#define EMBER_ADD(field) add(#field, o.field);
  EMBER_ADD(runtime_interpreters_head)
  EMBER_ADD(runtime_tstate_current) EMBER_ADD(runtime_autotss_key) EMBER_ADD(interp_next)
      EMBER_ADD(interp_threads_head) EMBER_ADD(tstate_next) EMBER_ADD(tstate_interp)
          EMBER_ADD(tstate_thread_id) EMBER_ADD(tstate_native_thread_id) EMBER_ADD(tstate_frame)
              EMBER_ADD(tstate_cframe) EMBER_ADD(cframe_current_frame)
                  EMBER_ADD(tstate_current_frame) EMBER_ADD(frame_previous) EMBER_ADD(frame_code)
                      EMBER_ADD(frame_instr) EMBER_ADD(frame_owner) EMBER_ADD(frame_is_entry)
                          EMBER_ADD(frame_owned_by_cstack) EMBER_ADD(code_name)
                              EMBER_ADD(code_qualname) EMBER_ADD(code_filename)
                                  EMBER_ADD(code_firstlineno) EMBER_ADD(code_linetable)
                                      EMBER_ADD(code_code) EMBER_ADD(code_code_adaptive)
                                          EMBER_ADD(code_size) EMBER_ADD(object_type)
                                              EMBER_ADD(var_size) EMBER_ADD(bytes_sval)
                                                  EMBER_ADD(unicode_length) EMBER_ADD(unicode_state)
                                                      EMBER_ADD(unicode_ascii_size)
                                                          EMBER_ADD(unicode_compact_size)
                                                              EMBER_ADD(unicode_kind_shift)
                                                                  EMBER_ADD(unicode_compact_bit)
                                                                      EMBER_ADD(unicode_ascii_bit)
#undef EMBER_ADD
                                                                          return out;
}

TEST(CPythonOffsets, TableCoversEverySupportedVersion) {
  for (const std::string& minor : testing::expected_minors()) {
    unsigned major = static_cast<unsigned>(std::stoul(minor));
    unsigned min = static_cast<unsigned>(std::stoul(minor.substr(2)));
    const cpython_offsets* entry = find_offsets(major, min);
    ASSERT_NE(entry, nullptr) << minor;
    SCOPED_TRACE(minor);
    // What every walker needs, whatever the era.
    EXPECT_NE(entry->tstate_next, CPYTHON_OFFSET_NONE);
    EXPECT_NE(entry->frame_previous, CPYTHON_OFFSET_NONE);
    EXPECT_NE(entry->frame_code, CPYTHON_OFFSET_NONE);
    EXPECT_NE(entry->frame_instr, CPYTHON_OFFSET_NONE);
    EXPECT_NE(entry->code_name, CPYTHON_OFFSET_NONE);
    EXPECT_NE(entry->code_linetable, CPYTHON_OFFSET_NONE);
    bool has_top = entry->tstate_frame != CPYTHON_OFFSET_NONE ||
                   entry->tstate_current_frame != CPYTHON_OFFSET_NONE ||
                   (entry->tstate_cframe != CPYTHON_OFFSET_NONE &&
                    entry->cframe_current_frame != CPYTHON_OFFSET_NONE);
    EXPECT_TRUE(has_top);
    EXPECT_EQ(entry->runtime_interpreters_head == CPYTHON_OFFSET_NONE,
              major == 2 || (major == 3 && min < 7));
    EXPECT_EQ(entry->code_qualname == CPYTHON_OFFSET_NONE, major == 2 || min < 11);
    EXPECT_EQ(entry->code_code_adaptive == CPYTHON_OFFSET_NONE, major == 2 || min < 11);
  }
}

// Reads the running interpreter's own structs at the table's offsets
// (live_offsets.py) and compares with what Python reports.
TEST(CPythonOffsets, MatchLiveInterpreters) {
  auto pyenv = pyenv_pythons();
  EMBER_REQUIRE_PYENV(pyenv);
  for (const auto& python : all_pythons()) {
    SCOPED_TRACE(python.label);
    CPythonBinary found;
    Status status = detect(BinaryRef{python.binary, python.binary, ""}, found);
    ASSERT_TRUE(status) << status.message();
    ASSERT_NE(found.table, nullptr);
    std::string command = python.interpreter + " " + EMBER_CPYTHON_LIVE_OFFSETS +
                          offset_arguments(*found.table) + " 2>&1; echo exit=$?";
    auto out = run(command);
    ASSERT_TRUE(out) << command;
    EXPECT_NE(out->find("\nexit=0"), std::string::npos) << *out;
    std::size_t at = out->find("checks ");
    ASSERT_NE(at, std::string::npos) << *out;
    EXPECT_GE(std::stoi(out->substr(at + 7)), 20) << *out;
  }
}

// A wrong offset must fail the live check: the check can fail.
TEST(CPythonOffsets, LiveCheckCatchesAWrongOffset) {
  auto pyenv = pyenv_pythons();
  EMBER_REQUIRE_PYENV(pyenv);
  const auto& python = pyenv.back();
  CPythonBinary found;
  ASSERT_TRUE(detect(BinaryRef{python.binary, python.binary, ""}, found));
  cpython_offsets wrong = *found.table;
  wrong.code_firstlineno += 4;
  auto out = run(python.interpreter + " " + EMBER_CPYTHON_LIVE_OFFSETS + offset_arguments(wrong) +
                 " 2>&1; echo exit=$?");
  ASSERT_TRUE(out);
  EXPECT_NE(out->find("FAIL code_firstlineno"), std::string::npos) << *out;
  EXPECT_NE(out->find("\nexit=1"), std::string::npos) << *out;
}

// 3.13 carries its own layout in _PyRuntime: what the binary's file says
// must equal the table generated from its headers.
TEST(CPythonOffsets, DebugOffsetsOf313MatchTheTable) {
  auto pyenv = pyenv_pythons();
  EMBER_REQUIRE_PYENV(pyenv);
  const testing::Python* py313 = nullptr;
  for (const auto& python : pyenv) {
    if (python.label.starts_with("pyenv 3.13.")) py313 = &python;
  }
  ASSERT_NE(py313, nullptr) << "pyenv has no CPython 3.13";
  Image image;
  ASSERT_TRUE(image.open(py313->binary, py313->binary));
  auto runtime = image.elf().find_symbol("_PyRuntime");
  ASSERT_TRUE(runtime);
  const cpython_offsets* table = find_offsets(3, 13);
  ASSERT_NE(table, nullptr);

  DebugOffsets debug;
  Status status = read_debug_offsets(image, runtime->address, *table, debug);
  ASSERT_TRUE(status) << status.message();
  EXPECT_EQ(debug.version >> 16, 0x030du);
  EXPECT_FALSE(debug.free_threaded);
#define EMBER_COMPARE(field) EXPECT_EQ(debug.offsets.field, table->field) << #field;
  CPYTHON_DEBUG_OFFSETS_MIRRORED(EMBER_COMPARE)
#undef EMBER_COMPARE
  EXPECT_EQ(std::memcmp(&debug.offsets, table, sizeof *table), 0);

  // Not at the start of _PyRuntime: no cookie, an error.
  EXPECT_FALSE(read_debug_offsets(image, runtime->address + 8, *table, debug));
  // The layout is per minor version: 3.12's table has none.
  EXPECT_FALSE(read_debug_offsets(image, runtime->address, *find_offsets(3, 12), debug));
}

}  // namespace
}  // namespace ember::cpython

#include "v8_layout.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

#include "v8_symbols.hpp"

namespace ember::node {
namespace {

std::string run(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return out;
  std::array<char, 256> buffer{};
  while (fgets(buffer.data(), buffer.size(), pipe)) out += buffer.data();
  pclose(pipe);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

// The binary `node` resolves to (Debian's: a symlink farm ends in the ELF).
std::string node_binary() { return std::filesystem::canonical(EMBER_NODE_BINARY).string(); }

TEST(V8Symbols, ReadsNodesPostmortemMetadata) {
  V8Symbols symbols;
  ASSERT_TRUE(read_v8_symbols(node_binary(), symbols));
  // node exports some 500 of them.
  EXPECT_GT(symbols.size(), 300u);
  // Values in .bss read as 0, not as missing.
  ASSERT_TRUE(symbols.count("SeqStringTag"));
  EXPECT_EQ(symbols.at("SeqStringTag"), 0);
  EXPECT_EQ(symbols.at("HeapObjectTag"), 1);
}

TEST(V8Symbols, FileWithoutMetadataGivesNone) {
  V8Symbols symbols;
  ASSERT_TRUE(read_v8_symbols("/proc/self/exe", symbols));
  EXPECT_TRUE(symbols.empty());
  EXPECT_FALSE(read_v8_symbols("/nonexistent/node", symbols));
  EXPECT_FALSE(read_v8_symbols("/proc/self/status", symbols));  // not ELF
}

TEST(V8Layout, NodesLayoutMatchesWhatNodeSaysOfItself) {
  V8Symbols symbols;
  ASSERT_TRUE(read_v8_symbols(node_binary(), symbols));
  V8Layout layout;
  Status status = parse_v8_layout(symbols, layout);
  ASSERT_TRUE(status) << status.message();
  // process.versions.v8 is "11.3.244.8-node.33": the version V8 reports.
  std::string reported = run(std::string(EMBER_NODE_BINARY) + " -p process.versions.v8");
  EXPECT_EQ(reported.substr(0, reported.find('-')), layout.version.to_string());
  // x64 JavaScript frames (V8's StandardFrameConstants): the caller's fp at
  // fp, the context below it, then the JSFunction; unoptimized frames add
  // argc, the BytecodeArray and the offset.
  EXPECT_EQ(layout.fp_function, -16);
  EXPECT_EQ(layout.fp_bytecode_array, -32);
  EXPECT_EQ(layout.fp_bytecode_offset, -40);
  EXPECT_EQ(layout.smi_shift, 32u);
  EXPECT_EQ(layout.type_js_function_last - layout.type_js_function_first, 14);
  EXPECT_NE(layout.type_shared_function_info, layout.type_scope_info);
  EXPECT_GT(layout.first_nonstring_type, 0);
}

V8Symbols complete_symbols() {
  V8Symbols symbols;
  EXPECT_TRUE(read_v8_symbols(node_binary(), symbols));
  return symbols;
}

TEST(V8Layout, NamesWhatIsMissing) {
  V8Symbols symbols = complete_symbols();
  symbols.erase("off_fp_function");
  symbols.erase("class_Script__name__Object");
  V8Layout layout;
  Status status = parse_v8_layout(symbols, layout);
  ASSERT_FALSE(status);
  EXPECT_NE(status.message().find("off_fp_function"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("class_Script__name__Object"), std::string::npos);
}

TEST(V8Layout, RefusesPointerCompressionOldVersionsAndBadValues) {
  V8Layout layout;
  V8Symbols compressed = complete_symbols();
  compressed["SmiShiftSize"] = 0;
  Status status = parse_v8_layout(compressed, layout);
  ASSERT_FALSE(status);
  EXPECT_NE(status.message().find("pointer compression"), std::string::npos);

  V8Symbols old = complete_symbols();
  old["version_major"] = 9;
  old["version_minor"] = 4;
  EXPECT_FALSE(parse_v8_layout(old, layout));

  V8Symbols out_of_range = complete_symbols();
  out_of_range["class_Map__instance_type__uint16_t"] = -5;
  status = parse_v8_layout(out_of_range, layout);
  ASSERT_FALSE(status);
  EXPECT_NE(status.message().find("out of range"), std::string::npos);

  V8Symbols above_fp = complete_symbols();
  above_fp["off_fp_function"] = 16;
  EXPECT_FALSE(parse_v8_layout(above_fp, layout));
}

}  // namespace
}  // namespace ember::node

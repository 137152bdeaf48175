#include "method_names.hpp"

#include <algorithm>
#include <cctype>

namespace ember::jvm {
namespace {

// Symbols are short; a longer length means the pointer was not a Symbol.
constexpr std::uint16_t kMaxSymbolLength = 4096;

bool read_symbol(RemoteMemory& memory, const HotSpotLayout& layout, std::uint64_t symbol,
                 std::string& out) {
  std::uint16_t length = 0;
  if (symbol == 0 || !memory.value(symbol + layout.symbol_length, length) ||
      length > kMaxSymbolLength) {
    return false;
  }
  out.resize(length);
  return length == 0 || memory.read(symbol + layout.symbol_body, out.data(), length);
}

// The Symbol* at `index` of the constant pool `pool`: its entries follow the
// ConstantPool object, one word each.
bool pool_symbol(RemoteMemory& memory, const HotSpotLayout& layout, std::uint64_t pool,
                 std::uint16_t index, std::string& out) {
  std::uint64_t symbol = 0;
  return index != 0 &&
         memory.value(pool + layout.constant_pool_size + std::uint64_t{index} * 8, symbol) &&
         read_symbol(memory, layout, symbol, out);
}

}  // namespace

std::string java_class_name(std::string_view internal) {
  std::string name(internal);
  // Hidden classes (lambdas, JDK 15+) end in "+0x<address>" in the VM
  // ("/0x<address>" as Class.getName() shows them).
  for (const char* suffix : {"+0x", "/0x"}) {
    auto at = name.rfind(suffix);
    if (at != std::string::npos && at + 3 < name.size() &&
        std::all_of(name.begin() + static_cast<std::ptrdiff_t>(at) + 3, name.end(),
                    [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); })) {
      name.resize(at);
      break;
    }
  }
  std::replace(name.begin(), name.end(), '/', '.');
  return name;
}

bool read_method_identity(RemoteMemory& memory, const HotSpotLayout& layout, std::uint64_t method,
                          MethodIdentity& out) {
  out = MethodIdentity{};
  return method != 0 && memory.value(method + layout.method_const_method, out.const_method) &&
         out.const_method != 0 &&
         memory.value(out.const_method + layout.const_method_constants, out.pool) &&
         out.pool != 0 && memory.value(out.pool + layout.constant_pool_holder, out.holder) &&
         out.holder != 0 && memory.value(out.holder + layout.klass_name, out.class_symbol) &&
         out.class_symbol != 0;
}

bool read_method_name(RemoteMemory& memory, const HotSpotLayout& layout,
                      const MethodIdentity& identity, MethodName& out) {
  out = MethodName{};
  std::uint16_t name_index = 0, source_index = 0;
  std::string internal;
  if (!memory.value(identity.const_method + layout.const_method_name_index, name_index) ||
      !read_symbol(memory, layout, identity.class_symbol, internal) || internal.empty() ||
      !pool_symbol(memory, layout, identity.pool, name_index, out.method_name) ||
      out.method_name.empty()) {
    return false;
  }
  out.class_name = java_class_name(internal);
  if (memory.value(identity.pool + layout.constant_pool_source_file_index, source_index)) {
    pool_symbol(memory, layout, identity.pool, source_index, out.source_file);  // optional
  }
  return true;
}

bool read_method_name(RemoteMemory& memory, const HotSpotLayout& layout, std::uint64_t method,
                      MethodName& out) {
  MethodIdentity identity;
  out = MethodName{};
  return read_method_identity(memory, layout, method, identity) &&
         read_method_name(memory, layout, identity, out);
}

bool read_bytecodes(RemoteMemory& memory, const HotSpotLayout& layout, std::uint64_t const_method,
                    Bytecodes& out) {
  std::uint16_t size = 0;
  if (!memory.value(const_method + layout.const_method_code_size, size)) return false;
  out.start = const_method + layout.const_method_size;
  out.size = size;
  return true;
}

std::vector<LineEntry> read_line_table(RemoteMemory& memory, const HotSpotLayout& layout,
                                       std::uint64_t const_method) {
  // A few bytes per line of source: far below this for any method.
  constexpr std::size_t kMaxTable = 1 << 16;
  std::uint16_t flags = 0;
  Bytecodes code;
  if (!memory.value(const_method + layout.const_method_flags, flags) || !(flags & 1) ||
      !read_bytecodes(memory, layout, const_method, code)) {
    return {};
  }
  std::vector<unsigned char> bytes;
  unsigned char chunk[256];
  std::uint64_t at = code.start + code.size;
  while (bytes.size() < kMaxTable) {
    // Up to the end of a page at most: the table may end just before one
    // that is not mapped.
    std::size_t size = std::min<std::size_t>(sizeof chunk, 4096 - (at & 4095));
    if (!memory.read(at, chunk, size)) return {};
    bytes.insert(bytes.end(), chunk, chunk + size);
    at += size;
    if (std::find(chunk, chunk + size, 0) == chunk + size) continue;  // no terminator yet
    bool complete = false;
    std::vector<LineEntry> table = decode_line_table(bytes, complete);
    if (complete) return table;
  }
  return {};
}

}  // namespace ember::jvm

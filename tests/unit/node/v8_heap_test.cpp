#include "v8_heap.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace ember::node {
namespace {

// Node 20's (V8 11.3) values, as its v8dbg_* symbols give them.
V8Layout node20_layout() {
  V8Layout l;
  l.version = {11, 3, 244, 8};
  l.heap_object_map = 0;
  l.map_instance_type = 12;
  l.js_function_shared = 24;
  l.sfi_name_or_scope_info = 16;
  l.sfi_script_or_debug_info = 32;
  l.sfi_function_data = 8;
  l.script_name = 16;
  l.script_source = 8;
  l.script_line_ends = 56;
  l.fixed_array_length = 8;
  l.fixed_array_data = 16;
  l.string_length = 12;
  l.seq_string_chars = 16;
  l.cons_string_first = 16;
  l.cons_string_second = 24;
  l.thin_string_actual = 16;
  l.sliced_string_parent = 16;
  l.sliced_string_offset = 24;
  l.scope_info_first_vars = 3;
  l.scope_info_context_locals = 2;
  l.type_js_function_first = 2066;
  l.type_js_function_last = 2080;
  l.type_shared_function_info = 262;
  l.type_bytecode_array = 191;
  l.type_scope_info = 261;
  l.type_script = 167;
  l.type_fixed_array = 175;
  l.first_nonstring_type = 128;
  l.string_encoding_mask = 8;
  l.one_byte_string_tag = 8;
  l.string_representation_mask = 7;
  l.seq_string_tag = 0;
  l.cons_string_tag = 1;
  l.sliced_string_tag = 3;
  l.thin_string_tag = 5;
  l.external_string_tag = 2;
  return l;
}

constexpr std::uint16_t kOneByteSeq = 8;   // one-byte, sequential
constexpr std::uint16_t kTwoByteSeq = 0;
constexpr std::uint16_t kOneByteCons = 9;
constexpr std::uint16_t kOneByteThin = 13;
constexpr std::uint16_t kOneByteSliced = 11;
constexpr std::uint16_t kExternal = 10;
constexpr std::uint16_t kOddball = 131;

std::uint64_t smi(std::int64_t value) { return static_cast<std::uint64_t>(value) << 32; }

// A V8 heap in a byte vector: objects are 8-aligned, pointers tagged with 1.
class FakeHeap {
 public:
  static constexpr std::uint64_t kBase = 0x7f0000000000;

  FakeHeap() : bytes_(1 << 20, 0) {}

  ReadMemory reader() {
    return [this](std::uint64_t address, void* buffer, std::size_t size) {
      ++reads;
      if (before_read) before_read(address);
      if (address < kBase || address + size > kBase + used_ || address + size < address) {
        return false;
      }
      std::memcpy(buffer, bytes_.data() + (address - kBase), size);
      return true;
    };
  }

  // A new object of `size` bytes whose map has `type`; returns it tagged.
  std::uint64_t object(std::uint16_t type, std::size_t size) {
    std::uint64_t map = raw(16);
    std::memcpy(at(map + 12), &type, 2);
    std::uint64_t object = raw(size);
    put(object, map + 1);
    return object + 1;
  }
  std::uint64_t one_byte(const std::string& text, std::uint16_t type = kOneByteSeq) {
    std::uint64_t s = object(type, 16 + text.size() + 8);
    set_length(s, text.size());
    std::memcpy(at(s - 1 + 16), text.data(), text.size());
    return s;
  }
  std::uint64_t two_byte(const std::u16string& text) {
    std::uint64_t s = object(kTwoByteSeq, 16 + 2 * text.size() + 8);
    set_length(s, text.size());
    std::memcpy(at(s - 1 + 16), text.data(), 2 * text.size());
    return s;
  }
  std::uint64_t cons(std::uint64_t first, std::uint64_t second, std::int32_t length) {
    std::uint64_t s = object(kOneByteCons, 32);
    set_length(s, length);
    put(s - 1 + 16, first);
    put(s - 1 + 24, second);
    return s;
  }
  void set_length(std::uint64_t s, std::int32_t length) { std::memcpy(at(s - 1 + 12), &length, 4); }
  void put(std::uint64_t address, std::uint64_t value) { std::memcpy(at(address), &value, 8); }
  std::uint64_t undefined() { return oddball_ ? oddball_ : (oddball_ = object(kOddball, 16)); }

  // A script named `name` whose line ends come from V8 (`line_ends`) or,
  // when empty, from `source`.
  std::uint64_t script(const std::string& name, const std::vector<std::uint32_t>& line_ends,
                       const std::string& source) {
    std::uint64_t s = object(167, 64);
    put(s - 1 + 16, one_byte(name));
    put(s - 1 + 8, one_byte(source));
    if (line_ends.empty()) {
      put(s - 1 + 56, undefined());
    } else {
      std::uint64_t ends = object(175, 16 + 8 * line_ends.size());
      put(ends - 1 + 8, smi(static_cast<std::int64_t>(line_ends.size())));
      for (std::size_t i = 0; i < line_ends.size(); ++i) put(ends - 1 + 16 + 8 * i, smi(line_ends[i]));
      put(s - 1 + 56, ends);
    }
    return s;
  }
  // A SharedFunctionInfo whose name_or_scope_info is `name_or_scope`.
  std::uint64_t sfi(std::uint64_t name_or_scope, std::uint64_t script) {
    std::uint64_t f = object(262, 48);
    put(f - 1 + 16, name_or_scope);
    put(f - 1 + 32, script);
    return f;
  }
  // A ScopeInfo laid out as V8 11.3 writes a function's: flags, parameter
  // count, context local count, the locals' names and infos, the function
  // variable {name, slot}, the inferred name, the start and end positions.
  std::uint64_t scope_info(const std::vector<std::string>& locals, std::uint64_t name,
                           std::uint64_t inferred, std::int64_t start, std::int64_t end) {
    std::vector<std::uint64_t> slots = {smi(4288962), smi(1),
                                        smi(static_cast<std::int64_t>(locals.size()))};
    if (locals.size() <= 75) {
      for (const auto& local : locals) slots.push_back(one_byte(local));
    } else {
      slots.push_back(object(200, 16));  // the names' hash table
    }
    for (std::size_t i = 0; i < locals.size(); ++i) slots.push_back(smi(4194240));
    for (std::uint64_t v : {name, smi(-1), inferred, smi(start), smi(end), undefined()}) {
      slots.push_back(v);
    }
    std::uint64_t s = object(261, 8 + 8 * slots.size() + 64);
    for (std::size_t i = 0; i < slots.size(); ++i) put(s - 1 + 8 + 8 * i, slots[i]);
    return s;
  }

  // An object moved by the GC: copied to a new place; returns it tagged.
  std::uint64_t copy(std::uint64_t tagged, std::size_t size) {
    std::uint64_t to = raw(size);
    std::memmove(at(to), at(tagged - 1), size);
    return to + 1;
  }
  // Another object of the same size written where `tagged` was.
  void overwrite(std::uint64_t tagged, std::uint64_t other, std::size_t size) {
    std::memmove(at(tagged - 1), at(other - 1), size);
  }

  int reads = 0;
  // Called with each address read before it is read: the GC at work.
  std::function<void(std::uint64_t)> before_read;

 private:
  std::uint64_t raw(std::size_t size) {
    std::uint64_t address = kBase + used_;
    used_ += (size + 7) & ~std::size_t{7};
    return address;
  }
  unsigned char* at(std::uint64_t address) { return bytes_.data() + (address - kBase); }

  std::vector<unsigned char> bytes_;
  std::size_t used_ = 64;
  std::uint64_t oddball_ = 0;
};

TEST(V8Heap, ReadsEveryStringRepresentation) {
  FakeHeap heap;
  V8HeapReader reader(node20_layout(), heap.reader());
  std::uint64_t hello = heap.one_byte("hello");
  EXPECT_EQ(reader.read_string(hello), "hello");
  EXPECT_EQ(reader.read_string(heap.two_byte(u"h\u00e9\u4e16")), "h\xc3\xa9\xe4\xb8\x96");
  EXPECT_EQ(reader.read_string(heap.one_byte("caf\xe9")), "caf\xc3\xa9");  // Latin-1
  EXPECT_EQ(reader.read_string(heap.cons(hello, heap.one_byte(" world"), 11)), "hello world");
  std::uint64_t thin = heap.object(kOneByteThin, 24);
  heap.set_length(thin, 5);
  heap.put(thin - 1 + 16, hello);
  EXPECT_EQ(reader.read_string(thin), "hello");
  std::uint64_t sliced = heap.object(kOneByteSliced, 32);
  heap.set_length(sliced, 3);
  heap.put(sliced - 1 + 16, hello);
  heap.put(sliced - 1 + 24, smi(1));
  EXPECT_EQ(reader.read_string(sliced), "ell");
  EXPECT_EQ(reader.read_string(hello, 3), "hel");  // the limit
}

TEST(V8Heap, RefusesWhatIsNoString) {
  FakeHeap heap;
  V8HeapReader reader(node20_layout(), heap.reader());
  EXPECT_FALSE(reader.read_string(0));
  EXPECT_FALSE(reader.read_string(smi(5)));                    // a Smi
  EXPECT_FALSE(reader.read_string(0xdead0001));                // unreadable
  EXPECT_FALSE(reader.read_string(heap.object(262, 48)));      // a SharedFunctionInfo
  EXPECT_FALSE(reader.read_string(heap.object(kExternal, 32)));
  std::uint64_t negative = heap.one_byte("x");
  heap.set_length(negative, -4);
  EXPECT_FALSE(reader.read_string(negative));
  // A cons string that contains itself: bounded, not a hang.
  std::uint64_t loop = heap.object(kOneByteCons, 32);
  heap.set_length(loop, 10);
  heap.put(loop - 1 + 16, loop);
  heap.put(loop - 1 + 24, loop);
  EXPECT_FALSE(reader.read_string(loop));
  // A map pointer that is no heap object.
  std::uint64_t bad_map = heap.object(kOneByteSeq, 24);
  heap.put(bad_map - 1, 0x1234);
  EXPECT_FALSE(reader.read_string(bad_map));
}

TEST(V8Heap, NamesAFunctionFromItsScopeInfoWithItsLine) {
  FakeHeap heap;
  V8HeapReader reader(node20_layout(), heap.reader());
  // "function a() {}\nfunction fib(n) {...}": fib's parameters start at 28, line 2.
  std::uint64_t script = heap.script("/srv/app.js", {15, 60, 80}, "");
  std::uint64_t scope = heap.scope_info({"y"}, heap.one_byte("fib"), heap.undefined(), 28, 59);
  auto function = reader.read_function(heap.sfi(scope, script));
  ASSERT_TRUE(function);
  EXPECT_EQ(function->name, "fib");
  EXPECT_EQ(function->script, "/srv/app.js");
  EXPECT_EQ(function->line, 2u);
  EXPECT_EQ(function->name_or_scope_info, scope);
  EXPECT_TRUE(function->complete);
}

TEST(V8Heap, AReadRacingTheGcIsIncomplete) {
  FakeHeap heap;
  V8HeapReader reader(node20_layout(), heap.reader());
  std::uint64_t script = heap.script("/srv/app.js", {15, 60}, "");
  std::uint64_t scope = heap.scope_info({}, heap.one_byte("fib"), heap.undefined(), 28, 40);
  std::uint64_t sfi = heap.sfi(scope, script);
  ASSERT_TRUE(reader.read_function(sfi)->complete);
  // The GC evacuated the ScopeInfo: its map word is now the (untagged)
  // forwarding address, and the SharedFunctionInfo not yet updated.
  heap.put(scope - 1, 0x7f0000100000);
  auto function = reader.read_function(sfi);
  ASSERT_TRUE(function);
  EXPECT_FALSE(function->complete);
  // The function's name String being evacuated: not an anonymous function.
  std::uint64_t name = heap.one_byte("churn");
  std::uint64_t named = heap.scope_info({}, name, heap.undefined(), 28, 40);
  heap.put(name - 1, 0x7f0000100000);
  function = reader.read_function(heap.sfi(named, script));
  ASSERT_TRUE(function);
  EXPECT_FALSE(function->complete) << "named '" << function->name << "'";
}

// The GC moves an object between the read of the word that points to it
// and the read of the object, and puts another function's object in its
// place: the name or line read is another function's, never complete.
TEST(V8Heap, AnObjectMovedWhileReadIsNotTakenForTheOldOne) {
  FakeHeap heap;
  V8HeapReader reader(node20_layout(), heap.reader());
  std::uint64_t script = heap.script("/srv/app.js", {15, 60}, "");
  std::uint64_t scope = heap.scope_info({}, heap.one_byte("fib"), heap.undefined(), 28, 40);
  std::uint64_t other = heap.scope_info({}, heap.one_byte("oth"), heap.undefined(), 3, 4);
  std::uint64_t sfi = heap.sfi(scope, script);
  constexpr std::size_t kScopeSize = 8 + 8 * 9 + 64;
  // The ScopeInfo, when its local count is first read.
  bool moved = false;
  heap.before_read = [&](std::uint64_t address) {
    if (moved || address != scope - 1 + 8 + 16) return;
    moved = true;
    heap.put(sfi - 1 + 16, heap.copy(scope, kScopeSize));
    heap.overwrite(scope, other, kScopeSize);
  };
  auto function = reader.read_function(sfi);
  ASSERT_TRUE(function);
  EXPECT_EQ(function->name_or_scope_info, scope);
  EXPECT_FALSE(function->complete) << function->name << " line " << function->line;
  function = reader.read_function(sfi);  // after the GC: where it is now
  EXPECT_TRUE(function->complete);
  EXPECT_EQ(function->name, "fib");
  EXPECT_EQ(function->line, 2u);

  // The script's line ends, when their first line end is read: another
  // script's ends where they were.
  std::uint64_t script2 = heap.script("/srv/b.js", {15, 60}, "");
  std::uint64_t ends = 0;
  ASSERT_TRUE(heap.reader()(script2 - 1 + 56, &ends, 8));
  std::uint64_t other_ends = 0;
  std::uint64_t other_script = heap.script("/srv/c.js", {1, 2}, "");
  ASSERT_TRUE(heap.reader()(other_script - 1 + 56, &other_ends, 8));
  std::uint64_t sfi2 = heap.sfi(heap.scope_info({}, heap.one_byte("g"), heap.undefined(), 28, 40),
                                script2);
  moved = false;
  heap.before_read = [&](std::uint64_t address) {
    if (moved || address != ends - 1 + 16) return;
    moved = true;
    heap.put(script2 - 1 + 56, heap.copy(ends, 32));
    heap.overwrite(ends, other_ends, 32);
  };
  function = reader.read_function(sfi2);
  ASSERT_TRUE(function);
  EXPECT_FALSE(function->complete) << function->name << " line " << function->line;
  function = reader.read_function(sfi2);  // the ends are read again, not cached wrong
  EXPECT_TRUE(function->complete);
  EXPECT_EQ(function->line, 2u);
}

TEST(V8Heap, AnonymousFunctionsAndManyLocals) {
  FakeHeap heap;
  V8HeapReader reader(node20_layout(), heap.reader());
  std::uint64_t script = heap.script("/srv/app.js", {}, "a\nb\nc\nconst f = [(v) => v];\n");
  // (v) => v starts at position 17, on line 4 (line ends computed from the source).
  std::uint64_t arrow = heap.scope_info({}, heap.one_byte(""), heap.one_byte("f"), 17, 23);
  auto function = reader.read_function(heap.sfi(arrow, script));
  ASSERT_TRUE(function);
  EXPECT_EQ(function->name, "");
  EXPECT_EQ(function->line, 4u);
  // More than 75 context locals: their names are one hash table.
  std::vector<std::string> locals(80, "v");
  std::uint64_t big = heap.scope_info(locals, heap.one_byte("wide"), heap.undefined(), 2, 3);
  function = reader.read_function(heap.sfi(big, script));
  ASSERT_TRUE(function);
  EXPECT_EQ(function->name, "wide");
  EXPECT_EQ(function->line, 2u);
}

TEST(V8Heap, ExternalSourcesHaveNoLinesAndUnreadOnesAreIncomplete) {
  FakeHeap heap;
  V8HeapReader reader(node20_layout(), heap.reader());
  std::uint64_t scope = heap.scope_info({}, heap.one_byte("emit"), heap.undefined(), 5, 9);
  // node's own modules: the source is an external string.
  std::uint64_t external = heap.script("node:events", {}, "");
  heap.put(external - 1 + 8, heap.object(kExternal, 32));
  auto function = reader.read_function(heap.sfi(scope, external));
  ASSERT_TRUE(function);
  EXPECT_EQ(function->script, "node:events");
  EXPECT_EQ(function->line, 0u);
  EXPECT_TRUE(function->complete);
  // A source that does not read (being moved): incomplete, read again later.
  std::uint64_t moving = heap.script("/srv/app.js", {}, "");
  heap.put(moving - 1 + 8, 0xdead0001);
  function = reader.read_function(heap.sfi(scope, moving));
  ASSERT_TRUE(function);
  EXPECT_FALSE(function->complete);
  heap.put(moving - 1 + 8, heap.one_byte("a\nbcdefgh\n"));
  function = reader.read_function(heap.sfi(scope, moving));
  EXPECT_TRUE(function->complete);
  EXPECT_EQ(function->line, 2u);
}

TEST(V8Heap, NameAsAStringAndNoScript) {
  FakeHeap heap;
  V8HeapReader reader(node20_layout(), heap.reader());
  // Not compiled yet, or one of V8's own: the name itself, no script.
  auto function = reader.read_function(heap.sfi(heap.one_byte("map"), heap.undefined()));
  ASSERT_TRUE(function);
  EXPECT_EQ(function->name, "map");
  EXPECT_TRUE(function->complete);
  EXPECT_EQ(function->script, "");
  EXPECT_EQ(function->line, 0u);
}

TEST(V8Heap, RefusesWhatIsNoSharedFunctionInfo) {
  FakeHeap heap;
  V8HeapReader reader(node20_layout(), heap.reader());
  EXPECT_FALSE(reader.read_function(0));
  EXPECT_FALSE(reader.read_function(0xdead0001));
  EXPECT_FALSE(reader.read_function(heap.one_byte("not a function")));
  // A ScopeInfo with a garbage local count names nothing, still no crash.
  std::uint64_t scope = heap.scope_info({}, heap.one_byte("x"), heap.undefined(), 1, 2);
  heap.put(scope - 1 + 8 + 16, smi(-7));
  auto function = reader.read_function(heap.sfi(scope, heap.undefined()));
  ASSERT_TRUE(function);
  EXPECT_EQ(function->name, "");
  EXPECT_FALSE(function->complete);
}

TEST(V8Heap, ScriptsMovedByTheGcAreReadAgain) {
  FakeHeap heap;
  V8HeapReader reader(node20_layout(), heap.reader());
  std::uint64_t script = heap.script("/srv/old.js", {10, 20}, "");
  std::uint64_t scope = heap.scope_info({}, heap.one_byte("f"), heap.undefined(), 12, 14);
  std::uint64_t sfi = heap.sfi(scope, script);
  ASSERT_EQ(reader.read_function(sfi)->script, "/srv/old.js");
  int reads = heap.reads;
  ASSERT_EQ(reader.read_function(sfi)->script, "/srv/old.js");
  int cached_reads = heap.reads - reads;
  // Another script now at that address (its name is another object).
  heap.put(script - 1 + 16, heap.one_byte("/srv/new.js"));
  EXPECT_EQ(reader.read_function(sfi)->script, "/srv/new.js");
  EXPECT_GT(heap.reads - reads - cached_reads, cached_reads);
}

TEST(V8Heap, LineOfPosition) {
  std::vector<std::uint32_t> ends = {9, 19, 29};
  EXPECT_EQ(line_of_position(ends, 0), 1u);
  EXPECT_EQ(line_of_position(ends, 9), 1u);  // the newline belongs to its line
  EXPECT_EQ(line_of_position(ends, 10), 2u);
  EXPECT_EQ(line_of_position(ends, 29), 3u);
  EXPECT_EQ(line_of_position(ends, 30), 4u);  // past the last end
  EXPECT_EQ(line_of_position(ends, -1), 0u);
  EXPECT_EQ(line_of_position({}, 5), 0u);
}

}  // namespace
}  // namespace ember::node

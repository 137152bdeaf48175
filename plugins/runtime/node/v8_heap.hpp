// Reads what names a JavaScript function out of a live V8 heap, through a
// memory reader (the process' memory in the agent, a byte image in tests):
// a SharedFunctionInfo's name, its script's name and the line the function
// starts on.
//
// Where V8 keeps them (64-bit, no pointer compression; offsets from the
// binary's metadata, V8Layout):
//   SharedFunctionInfo.name_or_scope_info: the name as a String, or a
//     ScopeInfo whose variable part holds it. ScopeInfo's layout has no
//     metadata: its fixed slots and the count of context locals do
//     (scopeinfo_idx_*); after the locals (names inline up to 75, else one
//     hash table; then one info Smi each) the first String is the function
//     name (FunctionVariableInfo) and the first two Smis after it, start <=
//     end, the function's source positions (PositionInfo), as in V8
//     9.6-12.7's scope-info.tq.
//   SharedFunctionInfo.script_or_debug_info: the Script, whose name is the
//     file (a path, or a file:// URL for ES modules) and whose line_ends
//     (a FixedArray of Smis, computed by V8 on demand) turn a position into
//     a line; without them the source text is read and its newlines counted.
// Strings: sequential one- and two-byte, cons, thin and sliced; external
// strings (Node.js's own modules' sources) are not read, so their functions
// have no line.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "v8_layout.hpp"

namespace ember::node {

using ReadMemory = std::function<bool(std::uint64_t address, void* buffer, std::size_t size)>;

struct V8Function {
  std::string name;    // "" for anonymous functions
  std::string script;  // "" when it has none (V8's own builtins)
  std::uint32_t line = 0;  // 1-based line of its start, 0 unknown
  std::uint64_t name_or_scope_info = 0;  // the raw word read, for checks
  // The name was read from a String, or from a ScopeInfo with its start
  // position and, with a script, that position's line: a read racing the
  // GC (an object being moved) leaves it false.
  bool complete = false;
};

class V8HeapReader {
 public:
  V8HeapReader(const V8Layout& layout, ReadMemory read);

  // nullopt when `sfi` (tagged) does not read as a SharedFunctionInfo.
  // Scripts are cached by address, checked against their name field.
  std::optional<V8Function> read_function(std::uint64_t sfi);

  // A String's contents (UTF-8), at most `limit` bytes; nullopt when
  // `tagged` is no string or cannot be read.
  std::optional<std::string> read_string(std::uint64_t tagged, std::size_t limit = 1024);

  // The instance type of a tagged heap object, nullopt when not one.
  std::optional<std::uint16_t> instance_type(std::uint64_t tagged);

 private:
  struct Script {
    std::uint64_t name_word = 0;  // the name field as read, to notice a move
    std::string name;
    std::vector<std::uint32_t> line_ends;  // position of each line's end
    bool lines_unavailable = false;  // no source, or an external one
  };

  bool read_word(std::uint64_t address, std::uint64_t& out);
  bool is_heap_object(std::uint64_t value) const;
  bool is_smi(std::uint64_t value) const { return (value & 1) == 0; }
  std::int64_t smi(std::uint64_t value) const {
    return static_cast<std::int64_t>(value) >> layout_.smi_shift;
  }
  std::uint64_t field(std::uint64_t tagged, std::uint32_t offset) const {
    return tagged - layout_.heap_object_tag + offset;
  }
  bool append_string(std::uint64_t tagged, std::size_t limit, int depth,
                     std::string& out);
  void read_scope_info(std::uint64_t tagged, V8Function& out, std::int64_t& start_position);
  const Script* script(std::uint64_t tagged);

  V8Layout layout_;
  ReadMemory read_;
  std::unordered_map<std::uint64_t, std::unique_ptr<Script>> scripts_;
  std::unique_ptr<Script> unfinished_;  // the last script read without line ends
};

// The 1-based line holding source `position`, from a script's line ends.
std::uint32_t line_of_position(const std::vector<std::uint32_t>& line_ends,
                               std::int64_t position);

}  // namespace ember::node

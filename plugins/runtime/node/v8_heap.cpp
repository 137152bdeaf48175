#include "v8_heap.hpp"

#include <algorithm>

namespace ember::node {
namespace {

constexpr std::size_t kMaxSourceBytes = 16 << 20;
constexpr std::size_t kMaxScripts = 4096;
constexpr int kMaxStringDepth = 32;
// Context locals whose names ScopeInfo keeps inline (kScopeInfoMaxInlinedLocalNamesSize).
constexpr std::int64_t kMaxInlinedLocalNames = 75;
constexpr std::int64_t kMaxContextLocals = 1 << 16;

void append_utf8(std::uint16_t unit, std::string& out) {
  if (unit < 0x80) {
    out += static_cast<char>(unit);
  } else if (unit < 0x800) {
    out += static_cast<char>(0xc0 | (unit >> 6));
    out += static_cast<char>(0x80 | (unit & 0x3f));
  } else if (unit >= 0xd800 && unit < 0xe000) {
    out += '?';  // half a surrogate pair: not worth pairing for names
  } else {
    out += static_cast<char>(0xe0 | (unit >> 12));
    out += static_cast<char>(0x80 | ((unit >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (unit & 0x3f));
  }
}

}  // namespace

std::uint32_t line_of_position(const std::vector<std::uint32_t>& line_ends,
                               std::int64_t position) {
  if (position < 0 || line_ends.empty()) return 0;
  auto it = std::lower_bound(line_ends.begin(), line_ends.end(),
                             static_cast<std::uint64_t>(position),
                             [](std::uint32_t end, std::uint64_t p) { return end < p; });
  return static_cast<std::uint32_t>(it - line_ends.begin()) + 1;
}

V8HeapReader::V8HeapReader(const V8Layout& layout, ReadMemory read)
    : layout_(layout), read_(std::move(read)) {}

bool V8HeapReader::read_word(std::uint64_t address, std::uint64_t& out) {
  return read_(address, &out, sizeof out);
}

bool V8HeapReader::is_heap_object(std::uint64_t value) const {
  return value > 4096 && (value & layout_.heap_object_tag_mask) == layout_.heap_object_tag;
}

std::optional<std::uint16_t> V8HeapReader::instance_type(std::uint64_t tagged) {
  std::uint64_t map = 0;
  if (!is_heap_object(tagged) || !read_word(field(tagged, layout_.heap_object_map), map) ||
      !is_heap_object(map)) {
    return std::nullopt;
  }
  std::uint16_t type = 0;
  if (!read_(field(map, layout_.map_instance_type), &type, sizeof type)) return std::nullopt;
  return type;
}

bool V8HeapReader::append_string(std::uint64_t tagged, std::size_t limit, int depth,
                                 std::string& out) {
  auto type = instance_type(tagged);
  if (!type || *type >= layout_.first_nonstring_type || depth > kMaxStringDepth) return false;
  std::int32_t length = 0;
  if (!read_(field(tagged, layout_.string_length), &length, sizeof length) || length < 0) {
    return false;
  }
  std::uint32_t representation = *type & layout_.string_representation_mask;
  bool one_byte = (*type & layout_.string_encoding_mask) == layout_.one_byte_string_tag;
  if (representation == layout_.seq_string_tag) {
    std::size_t room = limit > out.size() ? limit - out.size() : 0;
    std::size_t count = std::min<std::size_t>(static_cast<std::size_t>(length), room);
    if (one_byte) {
      std::string bytes(count, '\0');
      if (count && !read_(field(tagged, layout_.seq_string_chars), bytes.data(), count)) {
        return false;
      }
      for (unsigned char c : bytes) append_utf8(c, out);  // Latin-1
      return true;
    }
    std::vector<std::uint16_t> units(count);
    if (count && !read_(field(tagged, layout_.seq_string_chars), units.data(), 2 * count)) {
      return false;
    }
    for (std::uint16_t unit : units) append_utf8(unit, out);
    return true;
  }
  std::uint64_t part = 0;
  if (representation == layout_.cons_string_tag) {
    std::uint64_t second = 0;
    if (!read_word(field(tagged, layout_.cons_string_first), part) ||
        !read_word(field(tagged, layout_.cons_string_second), second)) {
      return false;
    }
    if (!append_string(part, limit, depth + 1, out)) return false;
    return out.size() >= limit || append_string(second, limit, depth + 1, out);
  }
  if (representation == layout_.thin_string_tag) {
    return read_word(field(tagged, layout_.thin_string_actual), part) &&
           append_string(part, limit, depth + 1, out);
  }
  if (representation == layout_.sliced_string_tag) {
    std::uint64_t offset_smi = 0;
    if (!read_word(field(tagged, layout_.sliced_string_parent), part) ||
        !read_word(field(tagged, layout_.sliced_string_offset), offset_smi) ||
        !is_smi(offset_smi) || smi(offset_smi) < 0) {
      return false;
    }
    // Offsets count characters: slice a one-byte parent's bytes only.
    auto parent_type = instance_type(part);
    if (!parent_type ||
        (*parent_type & layout_.string_encoding_mask) != layout_.one_byte_string_tag) {
      return false;
    }
    std::size_t offset = static_cast<std::size_t>(smi(offset_smi));
    std::string whole;
    std::size_t end = offset + std::min<std::size_t>(length, limit - std::min(limit, out.size()));
    if (!append_string(part, end, depth + 1, whole)) return false;
    if (whole.size() > offset) out.append(whole, offset, end - offset);
    return true;
  }
  return false;  // external strings live outside the heap
}

std::optional<std::string> V8HeapReader::read_string(std::uint64_t tagged, std::size_t limit) {
  std::string out;
  if (!append_string(tagged, limit, 0, out)) return std::nullopt;
  return out;
}

// The function's name and start position from its ScopeInfo (see the header).
void V8HeapReader::read_scope_info(std::uint64_t tagged, V8Function& out,
                                   std::int64_t& start_position) {
  auto slot_address = [&](std::int64_t i) {
    return field(tagged, layout_.heap_object_map) + 8 + 8 * static_cast<std::uint64_t>(i);
  };
  std::uint64_t count_smi = 0;
  if (!read_word(slot_address(layout_.scope_info_context_locals), count_smi) ||
      !is_smi(count_smi)) {
    return;
  }
  std::int64_t locals = smi(count_smi);
  if (locals < 0 || locals > kMaxContextLocals) return;
  std::int64_t first = layout_.scope_info_first_vars +
                       (locals <= kMaxInlinedLocalNames ? locals : 1) + locals;
  constexpr int kWindow = 8;
  std::uint64_t slots[kWindow] = {};
  for (int i = 0; i < kWindow; ++i) {
    if (!read_word(slot_address(first + i), slots[i])) return;
  }
  // FunctionVariableInfo {name, slot index}, then the inferred name (a
  // String or undefined), then PositionInfo {start, end}.
  int i = 0;
  if (is_heap_object(slots[0])) {
    // A name being moved (its map word a forwarding address) or that does
    // not read is no anonymous function: nothing named.
    auto type = instance_type(slots[0]);
    if (!type) return;
    if (*type < layout_.first_nonstring_type) {
      auto name = read_string(slots[0]);
      if (!name) return;
      // The name String moved while it was read: its slot says so after.
      std::uint64_t again = 0;
      if (!read_word(slot_address(first), again) || again != slots[0]) return;
      out.name = *name;
      i = 1;
      if (is_smi(slots[1])) i = 2;
    }
  }
  for (; i + 1 < kWindow; ++i) {
    if (is_smi(slots[i]) && is_smi(slots[i + 1]) && smi(slots[i]) >= 0 &&
        smi(slots[i]) <= smi(slots[i + 1])) {
      start_position = smi(slots[i]);
      return;
    }
  }
}

const V8HeapReader::Script* V8HeapReader::script(std::uint64_t tagged) {
  // A Script the GC moved away, and another put at its address, has
  // another name object: read it again.
  std::uint64_t word = 0;
  if (!read_word(field(tagged, layout_.script_name), word)) return nullptr;
  if (auto it = scripts_.find(tagged); it != scripts_.end() && it->second->name_word == word) {
    return it->second.get();
  }
  auto type = instance_type(tagged);
  if (!type || *type != layout_.type_script) return nullptr;
  if (scripts_.size() >= kMaxScripts) scripts_.clear();
  auto script = std::make_unique<Script>();
  script->name_word = word;
  if (auto name = read_string(word, 4096)) script->name = *name;
  // Line ends as V8 computed them, else from the source text.
  std::uint64_t ends = 0;
  std::uint64_t source = 0;
  if (read_word(field(tagged, layout_.script_line_ends), ends) &&
      instance_type(ends) == layout_.type_fixed_array) {
    std::uint64_t length_smi = 0;
    if (read_word(field(ends, layout_.fixed_array_length), length_smi) && is_smi(length_smi) &&
        smi(length_smi) > 0 && smi(length_smi) < (1 << 24)) {
      std::vector<std::uint64_t> words(static_cast<std::size_t>(smi(length_smi)));
      if (read_(field(ends, layout_.fixed_array_data), words.data(), 8 * words.size())) {
        for (std::uint64_t w : words) {
          script->line_ends.push_back(static_cast<std::uint32_t>(smi(w)));
        }
      }
    }
  }
  if (script->line_ends.empty() && read_word(field(tagged, layout_.script_source), source)) {
    word = source;
    auto source_type = instance_type(word);
    if (source_type && (*source_type >= layout_.first_nonstring_type ||
                        (*source_type & layout_.string_representation_mask) ==
                            layout_.external_string_tag)) {
      script->lines_unavailable = true;  // no source, or one outside the heap
    } else if (auto source = read_string(word, kMaxSourceBytes)) {
      // Positions count UTF-16 units: one per UTF-8 sequence read (a
      // surrogate half reads as one '?').
      std::uint32_t position = 0;
      for (unsigned char c : *source) {
        if ((c & 0xc0) == 0x80) continue;
        if (c == '\n') script->line_ends.push_back(position);
        ++position;
      }
      script->line_ends.push_back(position);
    }
  }
  // What was read came from the objects the script pointed to before and
  // after: one the GC moved while it was read (and put something else in
  // its place) changed the script's field, and nothing read is kept.
  std::uint64_t name_after = 0, ends_after = 0, source_after = 0;
  if (!read_word(field(tagged, layout_.script_name), name_after) ||
      name_after != script->name_word ||
      !read_word(field(tagged, layout_.script_line_ends), ends_after) || ends_after != ends ||
      (source != 0 &&
       (!read_word(field(tagged, layout_.script_source), source_after) ||
        source_after != source))) {
    script->line_ends.clear();
    script->lines_unavailable = false;
  }
  // No line ends for want of a read (the source being moved by the GC as
  // it was read): asked again next time.
  if (script->line_ends.empty() && !script->lines_unavailable) {
    scripts_.erase(tagged);
    unfinished_ = std::move(script);
    return unfinished_.get();
  }
  const Script* result = script.get();
  scripts_[tagged] = std::move(script);
  return result;
}

std::optional<V8Function> V8HeapReader::read_function(std::uint64_t sfi) {
  if (instance_type(sfi) != layout_.type_shared_function_info) return std::nullopt;
  V8Function out;
  if (!read_word(field(sfi, layout_.sfi_name_or_scope_info), out.name_or_scope_info)) {
    return std::nullopt;
  }
  std::int64_t start_position = -1;
  auto name_type = instance_type(out.name_or_scope_info);
  if (name_type && *name_type < layout_.first_nonstring_type) {
    auto name = read_string(out.name_or_scope_info);
    out.name = name.value_or("");
    out.complete = name.has_value();
  } else if (name_type && *name_type == layout_.type_scope_info) {
    read_scope_info(out.name_or_scope_info, out, start_position);
    out.complete = start_position >= 0;
  }
  std::uint64_t script_word = 0;
  if (read_word(field(sfi, layout_.sfi_script_or_debug_info), script_word)) {
    if (const Script* s = script(script_word)) {
      out.script = s->name;
      out.line = line_of_position(s->line_ends, start_position);
      if (out.line == 0 && !s->lines_unavailable) out.complete = false;
    }
  }
  // The name and the script were read after the words pointing to them: a
  // GC that moved either meanwhile (and put another object where it was)
  // changed the word. Read again, they must not have changed.
  std::uint64_t name_after = 0, script_after = 0;
  if (!read_word(field(sfi, layout_.sfi_name_or_scope_info), name_after) ||
      name_after != out.name_or_scope_info ||
      !read_word(field(sfi, layout_.sfi_script_or_debug_info), script_after) ||
      script_after != script_word) {
    out.complete = false;
  }
  return out;
}

}  // namespace ember::node

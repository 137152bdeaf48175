#include "line_table.hpp"

#include <dwarf.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "dwarf_bytes.hpp"

namespace ember::native {
namespace {

constexpr std::size_t kRowsPerCheckpoint = 32;

std::string joined(std::string_view directory, std::string_view name) {
  if (name.empty() || name.front() == '/' || directory.empty()) return std::string(name);
  std::string path(directory);
  if (path.back() != '/') path += '/';
  path += name;
  return path;
}

// One DWARF 5 entry (a directory or a file) read by its format: its path
// and directory index; what else it records is skipped.
struct EntryFormat {
  std::uint64_t content;
  std::uint64_t form;
};

bool read_entry(DwarfBytes& in, const std::vector<EntryFormat>& formats,
                const LineSections& sections, unsigned offset_size, std::string_view& path,
                std::uint64_t& directory, std::string& why) {
  for (const EntryFormat& format : formats) {
    std::uint64_t value = 0;
    std::string_view text;
    bool is_text = false;
    switch (format.form) {
      case DW_FORM_string: text = in.cstr(); is_text = true; break;
      case DW_FORM_line_strp:
        text = string_at(sections.line_str, in.fixed(offset_size));
        is_text = true;
        break;
      case DW_FORM_strp:
        text = string_at(sections.str, in.fixed(offset_size));
        is_text = true;
        break;
      case DW_FORM_udata: value = in.uleb(); break;
      case DW_FORM_data1: value = in.fixed(1); break;
      case DW_FORM_data2: value = in.fixed(2); break;
      case DW_FORM_data4: value = in.fixed(4); break;
      case DW_FORM_data8: value = in.fixed(8); break;
      case DW_FORM_data16: in.skip(16); break;
      case DW_FORM_block: in.skip(in.uleb()); break;
      default:
        why = "line table entry form " + std::to_string(format.form) + " is not read here";
        return false;
    }
    if (format.content == DW_LNCT_path) {
      if (!is_text) {
        why = "line table path form " + std::to_string(format.form) + " is not a string";
        return false;
      }
      path = text;
    } else if (format.content == DW_LNCT_directory_index) {
      directory = value;
    }
  }
  if (!in.ok()) why = "truncated directory or file table";
  return in.ok();
}

// A DWARF 5 directory or file table: its entry formats, then its entries.
struct Entry {
  std::string_view path;
  std::uint64_t directory = 0;
};

bool read_entry_table(DwarfBytes& in, const LineSections& sections, unsigned offset_size,
                      const std::string& what, std::vector<Entry>& entries, std::string& why) {
  std::vector<EntryFormat> formats;
  unsigned format_count = in.u8();
  for (unsigned i = 0; i < format_count && in.ok(); ++i) {
    std::uint64_t content = in.uleb();
    std::uint64_t form = in.uleb();
    formats.push_back({content, form});
  }
  std::uint64_t count = in.uleb();
  if (!in.ok()) {
    why = "truncated " + what + " formats";
    return false;
  }
  // Entries without a format read no bytes: a count of them would loop on nothing.
  if (count > 0 && formats.empty()) {
    why = what + " entries without a format";
    return false;
  }
  for (std::uint64_t i = 0; i < count && in.ok(); ++i) {
    Entry entry;
    if (!read_entry(in, formats, sections, offset_size, entry.path, entry.directory, why)) {
      return false;
    }
    entries.push_back(entry);
  }
  return true;
}

}  // namespace

// The line program's state machine (DWARF 5, 6.2.5), from a checkpoint:
// next() runs the opcodes up to the next row.
class LineTable::Decoder {
 public:
  struct State {
    std::uint64_t address = 0;
    std::uint32_t file = 1;
    std::uint32_t line = 1;
    bool end_sequence = false;
  };

  Decoder(const LineTable& table, std::uint64_t offset, const State& state)
      : header_(table.header_),
        in_(table.program_, offset),
        program_size_(table.program_.size()),
        state_(state) {}

  // The next row; false at the program's end or when it is malformed.
  bool next(State& row) {
    if (state_.end_sequence) state_ = State{};
    while (!in_.at_end(program_size_)) {
      std::uint8_t opcode = in_.u8();
      if (opcode >= header_.opcode_base) {
        unsigned adjusted = opcode - header_.opcode_base;
        state_.address += std::uint64_t{header_.min_instruction_length} *
                          (adjusted / header_.line_range);
        state_.line += static_cast<std::uint32_t>(header_.line_base +
                                                  static_cast<int>(adjusted % header_.line_range));
        return emit(row);
      }
      switch (opcode) {
        case 0: {
          std::uint64_t length = in_.uleb();
          if (length == 0) break;
          if (length > program_size_ - in_.at()) {
            in_.fail();  // runs past the program
            break;
          }
          std::uint64_t end = in_.at() + length;
          std::uint8_t extended = in_.u8();
          if (extended == DW_LNE_end_sequence) {
            state_.end_sequence = true;
            in_.seek(end);
            return emit(row);
          }
          if (extended == DW_LNE_set_address) state_.address = in_.fixed(length - 1);
          in_.seek(end);  // define_file, set_discriminator, vendors': not needed
          break;
        }
        case DW_LNS_copy: return emit(row);
        case DW_LNS_advance_pc:
          state_.address += std::uint64_t{header_.min_instruction_length} * in_.uleb();
          break;
        case DW_LNS_advance_line: state_.line += static_cast<std::uint32_t>(in_.sleb()); break;
        case DW_LNS_set_file: state_.file = static_cast<std::uint32_t>(in_.uleb()); break;
        case DW_LNS_const_add_pc:
          state_.address += std::uint64_t{header_.min_instruction_length} *
                            ((255u - header_.opcode_base) / header_.line_range);
          break;
        case DW_LNS_fixed_advance_pc: state_.address += in_.u16(); break;
        default:
          // Columns, flags, ISA and opcodes this reader does not know: their
          // operands are ULEB128s, as many as the header says.
          for (unsigned i = 0; i < header_.standard_lengths[opcode - 1u]; ++i) in_.uleb();
          break;
      }
    }
    return false;
  }

  // Where the program goes on after the last row.
  std::uint64_t offset() const { return in_.at(); }
  bool ok() const { return in_.ok(); }

 private:
  bool emit(State& row) {
    if (!in_.ok()) return false;
    row = state_;
    return true;
  }

  const Header& header_;
  DwarfBytes in_;
  std::uint64_t program_size_;
  State state_;
};

std::unique_ptr<LineTable> LineTable::read(const LineSections& sections, std::uint64_t offset,
                                           std::string& why) {
  std::unique_ptr<LineTable> table(new LineTable());
  if (!table->read_header(sections, offset, why) || !table->index(why)) {
    return nullptr;
  }
  return table;
}

bool LineTable::read_header(const LineSections& sections, std::uint64_t offset,
                            std::string& why) {
  sections_ = sections;
  DwarfBytes in(sections.line, offset);
  unsigned offset_size = 4;
  std::uint64_t length = 0;
  if (!in.initial_length(length, offset_size)) {
    why = "reserved or truncated unit length";
    return false;
  }
  const std::uint64_t unit_end = in.at() + length;
  if (!in.ok() || length > sections.line.size() - in.at()) {
    why = "line program runs past .debug_line";
    return false;
  }
  const unsigned version = in.u16();
  if (version < 2 || version > 5) {
    why = "line table version " + std::to_string(version);
    return false;
  }
  if (version >= 5) {
    in.u8();  // address size: DW_LNE_set_address's length says it too
    if (in.u8() != 0) {
      why = "segmented addresses";
      return false;
    }
  }
  std::uint64_t header_length = in.fixed(offset_size);
  const std::uint64_t program_begin = in.at() + header_length;
  header_.min_instruction_length = in.u8();
  if (version >= 4 && in.u8() != 1) {
    why = "VLIW line table (more than one operation per instruction)";
    return false;
  }
  in.u8();  // default_is_stmt: every row counts here
  header_.line_base = static_cast<std::int8_t>(in.u8());
  header_.line_range = in.u8();
  header_.opcode_base = in.u8();
  if (header_.line_range == 0 || header_.opcode_base == 0) {
    why = "line_range or opcode_base is zero";
    return false;
  }
  for (unsigned i = 1; i < header_.opcode_base; ++i) header_.standard_lengths.push_back(in.u8());

  if (version < 5) {
    // Directory 0 is the compilation directory: the caller joins it.
    std::vector<std::string_view> directories{{}};
    for (std::string_view name = in.cstr(); in.ok() && !name.empty(); name = in.cstr()) {
      directories.push_back(name);
    }
    files_.push_back(File{kNoString, kNoString});  // file 0: none before DWARF 5
    for (std::string_view name = in.cstr(); in.ok() && !name.empty(); name = in.cstr()) {
      std::uint64_t directory = in.uleb();
      in.uleb();  // modification time
      in.uleb();  // length
      files_.push_back(
          File{ref_of(directory < directories.size() ? directories[directory] : ""), ref_of(name)});
    }
  } else {
    // Directory 0 is the compilation directory itself.
    std::vector<Entry> directories;
    std::vector<Entry> files;
    if (!read_entry_table(in, sections, offset_size, "directory", directories, why) ||
        !read_entry_table(in, sections, offset_size, "file", files, why)) {
      return false;
    }
    for (const Entry& file : files) {
      files_.push_back(
          File{ref_of(file.directory < directories.size() ? directories[file.directory].path : ""),
               ref_of(file.path)});
    }
  }
  files_.shrink_to_fit();
  if (!in.ok() || program_begin > unit_end) {
    why = "truncated line table header";
    return false;
  }
  if (unit_end - program_begin > std::numeric_limits<std::uint32_t>::max()) {
    why = "line program over 4 GiB";
    return false;
  }
  program_ = sections.line.substr(program_begin, unit_end - program_begin);
  return true;
}

bool LineTable::index(std::string& why) {
  Decoder decoder(*this, 0, Decoder::State{});
  Decoder::State row;
  std::size_t in_sequence = 0;
  // Checkpoints keep their address as 32 bits from the sequence's start: a
  // sequence whose rows go below it or 4 GiB past it (a discarded one whose
  // tombstone address wrapped) is left out.
  bool spans = true;
  while (decoder.next(row)) {
    ++rows_;
    if (in_sequence > 0 &&
        (row.address < sequences_.back().low || row.address - sequences_.back().low > UINT32_MAX)) {
      spans = false;
    }
    if (row.end_sequence) {
      if (in_sequence > 0) {
        Sequence& sequence = sequences_.back();
        sequence.high = spans ? std::max(row.address, sequence.low) : sequence.low;
        sequence.count = static_cast<std::uint32_t>(checkpoints_.size() - sequence.first);
      }
      in_sequence = 0;
      spans = true;
      continue;
    }
    if (in_sequence == 0) {
      sequences_.push_back({row.address, row.address,
                            static_cast<std::uint32_t>(checkpoints_.size()), 0});
    }
    if (in_sequence % kRowsPerCheckpoint == 0 && spans) {
      checkpoints_.push_back({static_cast<std::uint32_t>(row.address - sequences_.back().low),
                              static_cast<std::uint32_t>(decoder.offset()), row.file, row.line});
    }
    ++in_sequence;
  }
  if (!decoder.ok()) {
    why = "malformed line program";
    return false;
  }
  if (in_sequence > 0) sequences_.pop_back();  // no end_sequence: its extent is unknown
  // Sequences the linker discarded (address 0 or -1 tombstones) cover nothing.
  sequences_.erase(std::remove_if(sequences_.begin(), sequences_.end(),
                                  [](const Sequence& s) { return s.high <= s.low; }),
                   sequences_.end());
  std::sort(sequences_.begin(), sequences_.end(),
            [](const Sequence& a, const Sequence& b) { return a.low < b.low; });
  checkpoints_.shrink_to_fit();
  sequences_.shrink_to_fit();
  return true;
}

bool LineTable::find(std::uint64_t vaddr, Row& out) const {
  auto after = std::upper_bound(sequences_.begin(), sequences_.end(), vaddr,
                                [](std::uint64_t a, const Sequence& s) { return a < s.low; });
  const Sequence* sequence = nullptr;
  // Sequences rarely overlap; a few steps back cover the ones that do.
  for (int steps = 0; after != sequences_.begin() && steps < 8 && !sequence; ++steps) {
    --after;
    if (vaddr < after->high) sequence = &*after;
  }
  if (!sequence) return false;
  auto first = checkpoints_.begin() + sequence->first;
  auto last = first + sequence->count;
  const std::uint64_t from_low = vaddr - sequence->low;
  auto next = std::upper_bound(first, last, from_low,
                               [](std::uint64_t a, const Checkpoint& c) { return a < c.address; });
  auto checkpoint = next - 1;
  Decoder::State best;
  best.address = sequence->low + checkpoint->address;
  best.file = checkpoint->file;
  best.line = checkpoint->line;
  Decoder decoder(*this, checkpoint->offset, best);
  Decoder::State row;
  while (decoder.next(row) && !row.end_sequence && row.address <= vaddr) best = row;
  out.file = best.file;
  out.line = best.line;
  return true;
}

LineTable::StringRef LineTable::ref_of(std::string_view text) const {
  constexpr std::uint64_t kMaxOffset = (std::uint64_t{1} << 30) - 1;
  if (text.empty()) return kNoString;
  const std::string_view sections[] = {sections_.line, sections_.line_str, sections_.str};
  for (std::uint32_t which = 0; which < 3; ++which) {
    const std::string_view section = sections[which];
    if (text.data() >= section.data() && text.data() < section.data() + section.size()) {
      auto offset = static_cast<std::uint64_t>(text.data() - section.data());
      return offset <= kMaxOffset ? (which << 30) | static_cast<std::uint32_t>(offset) : kNoString;
    }
  }
  return kNoString;
}

std::string_view LineTable::string_of(StringRef ref) const {
  if (ref == kNoString) return {};
  const std::string_view sections[] = {sections_.line, sections_.line_str, sections_.str};
  const std::uint32_t which = ref >> 30;
  return which < 3 ? string_at(sections[which], ref & ((1u << 30) - 1)) : std::string_view();
}

std::optional<std::string> LineTable::file_name(std::uint64_t index) const {
  if (index >= files_.size() || files_[index].name == kNoString) return std::nullopt;
  return joined(string_of(files_[index].directory), string_of(files_[index].name));
}

std::size_t LineTable::memory() const {
  std::size_t total = sizeof(LineTable) + checkpoints_.capacity() * sizeof(Checkpoint) +
                      sequences_.capacity() * sizeof(Sequence) + files_.capacity() * sizeof(File) +
                      header_.standard_lengths.size();
  return total;
}

}  // namespace ember::native

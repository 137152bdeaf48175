#include "dwarf_dies.hpp"

#include <dwarf.h>

#include <algorithm>
#include <limits>

#include "dwarf_bytes.hpp"

namespace ember::native {
namespace {

// DWARF 5's supplementary-file forms (dwz --dwarf-5), not in every dwarf.h.
constexpr unsigned kFormRefSup4 = 0x1c;
constexpr unsigned kFormStrpSup = 0x1d;
constexpr unsigned kFormRefSup8 = 0x24;
constexpr unsigned kFormGnuRefAlt = 0x1f20;
constexpr unsigned kFormGnuStrpAlt = 0x1f21;

// Nesting deeper than this is taken for a malformed unit, not walked.
constexpr int kMaxDepth = 256;

// Reads the value of one attribute of `form` (DW_FORM_indirect resolved).
bool read_value(DwarfBytes& in, const DwarfUnit& unit, unsigned form, std::int64_t implicit_const,
                AttributeValue& out) {
  out.form = form;
  out.value = 0;
  out.bytes = {};
  const unsigned offset_size = unit.offset_size;
  auto block = [&](std::uint64_t size) {
    std::uint64_t at = in.at();
    in.skip(size);
    if (in.ok()) out.bytes = unit.file->sections.info.substr(at, size);
  };
  switch (form) {
    case DW_FORM_addr:
      out.value = in.fixed(unit.address_size);
      break;
    case DW_FORM_data1:
    case DW_FORM_ref1:
    case DW_FORM_flag:
    case DW_FORM_strx1:
    case DW_FORM_addrx1:
      out.value = in.fixed(1);
      break;
    case DW_FORM_data2:
    case DW_FORM_ref2:
    case DW_FORM_strx2:
    case DW_FORM_addrx2:
      out.value = in.fixed(2);
      break;
    case DW_FORM_strx3:
    case DW_FORM_addrx3:
      out.value = in.fixed(3);
      break;
    case DW_FORM_data4:
    case DW_FORM_ref4:
    case DW_FORM_strx4:
    case DW_FORM_addrx4:
    case kFormRefSup4:
      out.value = in.fixed(4);
      break;
    case DW_FORM_data8:
    case DW_FORM_ref8:
    case DW_FORM_ref_sig8:
    case kFormRefSup8:
      out.value = in.fixed(8);
      break;
    case DW_FORM_data16:
      block(16);
      break;
    case DW_FORM_sdata:
      out.value = static_cast<std::uint64_t>(in.sleb());
      break;
    case DW_FORM_udata:
    case DW_FORM_ref_udata:
    case DW_FORM_strx:
    case DW_FORM_addrx:
    case DW_FORM_loclistx:
    case DW_FORM_rnglistx:
      out.value = in.uleb();
      break;
    case DW_FORM_string:
      out.bytes = in.cstr();
      break;
    case DW_FORM_strp:
    case DW_FORM_line_strp:
    case DW_FORM_sec_offset:
    case kFormStrpSup:
    case kFormGnuRefAlt:
    case kFormGnuStrpAlt:
      out.value = in.fixed(offset_size);
      break;
    case DW_FORM_ref_addr:
      out.value = in.fixed(unit.version <= 2 ? unit.address_size : offset_size);
      break;
    case DW_FORM_block1:
      block(in.fixed(1));
      break;
    case DW_FORM_block2:
      block(in.fixed(2));
      break;
    case DW_FORM_block4:
      block(in.fixed(4));
      break;
    case DW_FORM_block:
    case DW_FORM_exprloc:
      block(in.uleb());
      break;
    case DW_FORM_flag_present:
      out.value = 1;
      break;
    case DW_FORM_implicit_const:
      out.value = static_cast<std::uint64_t>(implicit_const);
      break;
    case DW_FORM_indirect: {
      std::uint64_t actual = in.uleb();
      if (actual == DW_FORM_indirect || actual == DW_FORM_implicit_const) return false;
      return in.ok() && read_value(in, unit, static_cast<unsigned>(actual), 0, out);
    }
    default:
      return false;  // split DWARF's index forms, vendors' unknown ones
  }
  return in.ok();
}

// Walks the attributes of `die`: `visit(name, value)` returns true to stop.
// Returns where the attributes end (0 when malformed or stopped early).
template <typename Visit>
std::uint64_t walk_attributes(const Die& die, Visit&& visit) {
  DwarfBytes in(die.unit->file->sections.info, die.attributes);
  const Abbreviations& abbreviations = die.unit->abbreviations;
  const Abbreviations::Attribute* attributes = abbreviations.attributes(*die.abbreviation);
  AttributeValue value;
  for (unsigned i = 0; i < die.abbreviation->count; ++i) {
    const Abbreviations::Attribute& attribute = attributes[i];
    const std::int64_t implicit_const =
        attribute.form == DW_FORM_implicit_const
            ? abbreviations.implicit_const(die.abbreviation->first + i)
            : 0;
    if (!read_value(in, *die.unit, attribute.form, implicit_const, value)) return 0;
    if (visit(attribute.name, value)) return 0;
  }
  return in.ok() ? in.at() : 0;
}

// The offset just past `die` and its children; 0 when malformed.
std::uint64_t end_of_tree(const Die& die, int depth) {
  if (depth > kMaxDepth) return 0;
  std::uint64_t sibling = 0;
  std::uint64_t end = walk_attributes(die, [&](unsigned name, const AttributeValue& value) {
    // Unit-relative forms only (DW_FORM_ref1 to DW_FORM_ref_udata).
    if (name == DW_AT_sibling && value.form >= DW_FORM_ref1 && value.form <= DW_FORM_ref_udata) {
      sibling = die.unit->offset + value.value;
    }
    return false;
  });
  if (end == 0) return 0;
  if (!die.abbreviation->children) return end;
  if (sibling > die.offset && sibling <= die.unit->end) return sibling;
  Die child;
  std::uint64_t at = end;
  while (read_die(*die.unit, at, child)) {
    at = end_of_tree(child, depth + 1);
    if (at == 0) return 0;
  }
  // read_die failed: a null entry ends the children (one byte), else malformed.
  const std::string_view info = die.unit->file->sections.info;
  if (at >= die.unit->end || at >= info.size() || info[at] != 0) return 0;
  return at + 1;
}

std::uint64_t string_offset_at(const DwarfUnit& unit, std::uint64_t index) {
  DwarfBytes in(unit.file->sections.str_offsets, unit.str_offsets_base + index * unit.offset_size);
  std::uint64_t offset = in.fixed(unit.offset_size);
  return in.ok() ? offset : std::numeric_limits<std::uint64_t>::max();
}

bool address_at(const DwarfUnit& unit, std::uint64_t index, std::uint64_t& out) {
  DwarfBytes in(unit.file->sections.addr, unit.addr_base + index * unit.address_size);
  out = in.fixed(unit.address_size);
  return in.ok();
}

// DWARF 2-4 range list at `offset` of .debug_ranges.
void read_ranges(const DwarfUnit& unit, std::uint64_t offset, const RangeVisitor& range) {
  DwarfBytes in(unit.file->sections.ranges, offset);
  const std::uint64_t all_ones = unit.address_size == 8
                                     ? ~std::uint64_t{0}
                                     : (std::uint64_t{1} << (8 * unit.address_size)) - 1;
  std::uint64_t base = unit.base_address;
  while (in.ok()) {
    std::uint64_t begin = in.fixed(unit.address_size);
    std::uint64_t end = in.fixed(unit.address_size);
    if (!in.ok() || (begin == 0 && end == 0)) return;
    if (begin == all_ones) {
      base = end;
    } else if (begin < end && !range(base + begin, base + end)) {
      return;
    }
  }
}

// DWARF 5 range list at `offset` of .debug_rnglists.
void read_rnglist(const DwarfUnit& unit, std::uint64_t offset, const RangeVisitor& range) {
  DwarfBytes in(unit.file->sections.rnglists, offset);
  std::uint64_t base = unit.base_address;
  // False once the visitor is done.
  auto add = [&](std::uint64_t low, std::uint64_t high) { return low >= high || range(low, high); };
  while (in.ok()) {
    std::uint64_t low = 0;
    std::uint64_t high = 0;
    switch (in.u8()) {
      case DW_RLE_end_of_list:
        return;
      case DW_RLE_base_addressx:
        if (!address_at(unit, in.uleb(), base)) return;
        break;
      case DW_RLE_startx_endx:
        if (!address_at(unit, in.uleb(), low) || !address_at(unit, in.uleb(), high)) return;
        if (!add(low, high)) return;
        break;
      case DW_RLE_startx_length:
        if (!address_at(unit, in.uleb(), low)) return;
        if (!add(low, low + in.uleb())) return;
        break;
      case DW_RLE_offset_pair:
        low = in.uleb();
        high = in.uleb();
        if (!add(base + low, base + high)) return;
        break;
      case DW_RLE_base_address:
        base = in.fixed(unit.address_size);
        break;
      case DW_RLE_start_end:
        low = in.fixed(unit.address_size);
        high = in.fixed(unit.address_size);
        if (!add(low, high)) return;
        break;
      case DW_RLE_start_length:
        low = in.fixed(unit.address_size);
        if (!add(low, low + in.uleb())) return;
        break;
      default:
        return;
    }
  }
}

bool is_reference(unsigned form) {
  switch (form) {
    case DW_FORM_ref1:
    case DW_FORM_ref2:
    case DW_FORM_ref4:
    case DW_FORM_ref8:
    case DW_FORM_ref_udata:
    case DW_FORM_ref_addr:
    case kFormRefSup4:
    case kFormRefSup8:
    case kFormGnuRefAlt:
      return true;
    default:
      return false;
  }
}

}  // namespace

const std::vector<std::uint64_t>& DwarfFile::unit_offsets() const {
  if (!listed_) {
    listed_ = true;
    std::uint64_t offset = 0;
    std::uint64_t first_die = 0;
    std::uint64_t next = 0;
    while (unit_extent(sections.info, offset, first_die, next)) {
      units_.push_back(offset);
      offset = next;
    }
    units_.shrink_to_fit();
  }
  return units_;
}

bool Abbreviations::read(std::string_view section, std::uint64_t offset) {
  entries_.clear();
  attributes_.clear();
  implicit_consts_.clear();
  dense_ = true;
  DwarfBytes in(section, offset);
  for (;;) {
    std::uint64_t code = in.uleb();
    if (!in.ok()) return false;
    if (code == 0) break;
    Entry entry{code, static_cast<std::uint32_t>(attributes_.size()), 0, 0, false};
    std::uint64_t tag = in.uleb();
    entry.children = in.u8() == DW_CHILDREN_yes;
    if (tag > 0xffff) return false;
    entry.tag = static_cast<std::uint16_t>(tag);
    for (;;) {
      std::uint64_t name = in.uleb();
      std::uint64_t form = in.uleb();
      if (!in.ok() || name > 0xffff || form > 0xffff) return false;
      if (name == 0 && form == 0) break;
      if (form == DW_FORM_implicit_const) {
        implicit_consts_.emplace_back(static_cast<std::uint32_t>(attributes_.size()), in.sleb());
      }
      attributes_.push_back({static_cast<std::uint16_t>(name), static_cast<std::uint16_t>(form)});
      if (++entry.count == 0) return false;  // over 65,535 attributes
    }
    if (code != entries_.size() + 1) dense_ = false;
    entries_.push_back(entry);
  }
  if (!dense_) {
    std::sort(entries_.begin(), entries_.end(),
              [](const Entry& a, const Entry& b) { return a.code < b.code; });
  }
  entries_.shrink_to_fit();
  attributes_.shrink_to_fit();
  implicit_consts_.shrink_to_fit();
  return true;
}

const Abbreviations::Entry* Abbreviations::find(std::uint64_t code) const {
  if (dense_) return code >= 1 && code <= entries_.size() ? &entries_[code - 1] : nullptr;
  auto it = std::lower_bound(entries_.begin(), entries_.end(), code,
                             [](const Entry& e, std::uint64_t c) { return e.code < c; });
  return it != entries_.end() && it->code == code ? &*it : nullptr;
}

std::int64_t Abbreviations::implicit_const(std::uint32_t index) const {
  auto it = std::lower_bound(implicit_consts_.begin(), implicit_consts_.end(), index,
                             [](const auto& entry, std::uint32_t i) { return entry.first < i; });
  return it != implicit_consts_.end() && it->first == index ? it->second : 0;
}

std::size_t Abbreviations::memory() const {
  return entries_.capacity() * sizeof(Entry) + attributes_.capacity() * sizeof(Attribute) +
         implicit_consts_.capacity() * sizeof(implicit_consts_[0]);
}

bool unit_extent(std::string_view info, std::uint64_t offset, std::uint64_t& first_die,
                 std::uint64_t& next) {
  DwarfBytes in(info, offset);
  unsigned offset_size = 4;
  std::uint64_t length = 0;
  if (!in.initial_length(length, offset_size) || length > info.size() - in.at()) return false;
  next = in.at() + length;
  std::uint16_t version = in.u16();
  if (version < 2 || version > 5) return false;
  if (version < 5) {
    in.skip(offset_size + 1);  // abbreviations, address size
  } else {
    std::uint8_t type = in.u8();
    in.skip(1 + offset_size);  // address size, abbreviations
    if (type == DW_UT_skeleton || type == DW_UT_split_compile)
      in.skip(8);
    else if (type == DW_UT_type || type == DW_UT_split_type)
      in.skip(8 + offset_size);
  }
  first_die = in.at();
  return in.ok() && first_die <= next;
}

std::unique_ptr<DwarfUnit> DwarfUnit::open(const DwarfFile& file, std::uint64_t offset) {
  auto unit = std::make_unique<DwarfUnit>();
  unit->file = &file;
  unit->offset = offset;
  const std::string_view info = file.sections.info;
  if (!unit_extent(info, offset, unit->first_die, unit->end)) return nullptr;
  DwarfBytes in(info, offset);
  std::uint64_t length = 0;
  unsigned offset_size = 4;
  in.initial_length(length, offset_size);
  unit->offset_size = static_cast<std::uint8_t>(offset_size);
  unit->version = in.u16();
  std::uint64_t abbrev_offset = 0;
  if (unit->version < 5) {
    abbrev_offset = in.fixed(unit->offset_size);
    unit->address_size = in.u8();
  } else {
    std::uint8_t type = in.u8();
    if (type != DW_UT_compile && type != DW_UT_partial) return nullptr;
    unit->address_size = in.u8();
    abbrev_offset = in.fixed(unit->offset_size);
  }
  if (!in.ok() || (unit->address_size != 4 && unit->address_size != 8)) return nullptr;
  if (!unit->abbreviations.read(file.sections.abbrev, abbrev_offset)) return nullptr;
  // DWARF 5 bases absent from the unit DIE: just past the sections' headers.
  if (unit->version >= 5) {
    const std::uint64_t header = unit->offset_size == 8 ? 16 : 8;
    unit->addr_base = header;
    unit->str_offsets_base = header;
    unit->rnglists_base = header + 4;
  }
  Die die;
  if (!read_die(*unit, unit->first_die, die)) return nullptr;
  AttributeValue low_pc;
  bool has_low_pc = false;
  walk_attributes(die, [&](unsigned name, const AttributeValue& value) {
    switch (name) {
      case DW_AT_addr_base:
        constant_value(value, unit->addr_base);
        break;
      case DW_AT_str_offsets_base:
        constant_value(value, unit->str_offsets_base);
        break;
      case DW_AT_rnglists_base:
        constant_value(value, unit->rnglists_base);
        break;
      case DW_AT_low_pc:
        low_pc = value;
        has_low_pc = true;
        break;
      default:
        break;
    }
    return false;
  });
  // After the bases: DW_FORM_addrx reads through addr_base.
  if (has_low_pc) address_value(*unit, low_pc, unit->base_address);
  return unit;
}

bool read_die(const DwarfUnit& unit, std::uint64_t offset, Die& out) {
  if (offset < unit.first_die || offset >= unit.end) return false;
  DwarfBytes in(unit.file->sections.info, offset);
  std::uint64_t code = in.uleb();
  if (!in.ok() || code == 0) return false;
  out.abbreviation = unit.abbreviations.find(code);
  if (!out.abbreviation) return false;
  out.unit = &unit;
  out.offset = offset;
  out.attributes = in.at();
  return true;
}

bool first_child(const Die& die, Die& out) {
  if (!die.abbreviation->children) return false;
  std::uint64_t end = walk_attributes(die, [](unsigned, const AttributeValue&) { return false; });
  return end != 0 && read_die(*die.unit, end, out);
}

bool next_sibling(const Die& die, Die& out) {
  std::uint64_t end = end_of_tree(die, 0);
  return end != 0 && read_die(*die.unit, end, out);
}

bool find_attribute(const Die& die, unsigned name, AttributeValue& out) {
  const Abbreviations::Attribute* attributes =
      die.unit->abbreviations.attributes(*die.abbreviation);
  bool present = false;
  for (unsigned i = 0; i < die.abbreviation->count && !present; ++i) {
    present = attributes[i].name == name;
  }
  if (!present) return false;  // most lookups: no value read at all
  bool found = false;
  walk_attributes(die, [&](unsigned attribute, const AttributeValue& value) {
    if (attribute != name) return false;
    out = value;
    found = true;
    return true;
  });
  return found;
}

std::string_view string_value(const DwarfUnit& unit, const AttributeValue& value) {
  const DwarfSections& sections = unit.file->sections;
  switch (value.form) {
    case DW_FORM_string:
      return value.bytes;
    case DW_FORM_strp:
      return string_at(sections.str, value.value);
    case DW_FORM_line_strp:
      return string_at(sections.line_str, value.value);
    case DW_FORM_strx:
    case DW_FORM_strx1:
    case DW_FORM_strx2:
    case DW_FORM_strx3:
    case DW_FORM_strx4:
      return string_at(sections.str, string_offset_at(unit, value.value));
    case kFormStrpSup:
    case kFormGnuStrpAlt:
      return unit.file->alt ? string_at(unit.file->alt->sections.str, value.value)
                            : std::string_view();
    default:
      return {};
  }
}

bool constant_value(const AttributeValue& value, std::uint64_t& out) {
  switch (value.form) {
    case DW_FORM_data1:
    case DW_FORM_data2:
    case DW_FORM_data4:
    case DW_FORM_data8:
    case DW_FORM_udata:
    case DW_FORM_sdata:
    case DW_FORM_implicit_const:
    case DW_FORM_sec_offset:
      out = value.value;
      return true;
    default:
      return false;
  }
}

bool address_value(const DwarfUnit& unit, const AttributeValue& value, std::uint64_t& out) {
  switch (value.form) {
    case DW_FORM_addr:
      out = value.value;
      return true;
    case DW_FORM_addrx:
    case DW_FORM_addrx1:
    case DW_FORM_addrx2:
    case DW_FORM_addrx3:
    case DW_FORM_addrx4:
      return address_at(unit, value.value, out);
    default:
      return false;
  }
}

void for_each_range(const Die& die, const RangeVisitor& range) {
  const DwarfUnit& unit = *die.unit;
  AttributeValue low_pc;
  AttributeValue high_pc;
  AttributeValue ranges;
  bool has_low = false;
  bool has_high = false;
  bool has_ranges = false;
  walk_attributes(die, [&](unsigned name, const AttributeValue& value) {
    if (name == DW_AT_low_pc) {
      low_pc = value;
      has_low = true;
    } else if (name == DW_AT_high_pc) {
      high_pc = value;
      has_high = true;
    } else if (name == DW_AT_ranges) {
      ranges = value;
      has_ranges = true;
    }
    return false;
  });
  std::uint64_t low = 0;
  if (has_low && has_high && address_value(unit, low_pc, low)) {
    std::uint64_t high = 0;
    if (!address_value(unit, high_pc, high)) {
      if (!constant_value(high_pc, high)) return;
      high += low;  // DWARF 4 on: high_pc as the size
    }
    if (low < high) range(low, high);
    return;
  }
  if (!has_ranges) return;
  std::uint64_t offset = 0;
  if (unit.version < 5) {
    if (constant_value(ranges, offset)) read_ranges(unit, offset, range);
  } else if (ranges.form == DW_FORM_rnglistx) {
    DwarfBytes in(unit.file->sections.rnglists,
                  unit.rnglists_base + ranges.value * unit.offset_size);
    offset = in.fixed(unit.offset_size);
    if (in.ok()) read_rnglist(unit, unit.rnglists_base + offset, range);
  } else if (constant_value(ranges, offset)) {
    read_rnglist(unit, offset, range);
  }
}

bool has_address(const Die& die, std::uint64_t vaddr) {
  bool found = false;
  for_each_range(die, [&](std::uint64_t low, std::uint64_t high) {
    found = vaddr >= low && vaddr < high;
    return !found;
  });
  return found;
}

std::shared_ptr<const DwarfUnit> DwarfUnitCache::unit_at(const DwarfFile& file,
                                                         std::uint64_t offset) {
  for (auto it = units_.rbegin(); it != units_.rend(); ++it) {
    if ((*it)->file == &file && (*it)->offset == offset) {
      std::shared_ptr<const DwarfUnit> unit = *it;
      units_.erase(std::next(it).base());
      units_.push_back(unit);
      return unit;
    }
  }
  std::shared_ptr<const DwarfUnit> unit = DwarfUnit::open(file, offset);
  if (!unit) return nullptr;
  if (units_.size() >= capacity_) units_.erase(units_.begin());
  units_.push_back(unit);
  return unit;
}

std::shared_ptr<const DwarfUnit> DwarfUnitCache::unit_holding(const DwarfFile& file,
                                                              std::uint64_t die_offset) {
  for (auto it = units_.rbegin(); it != units_.rend(); ++it) {
    if ((*it)->file == &file && die_offset >= (*it)->first_die && die_offset < (*it)->end) {
      return unit_at(file, (*it)->offset);
    }
  }
  const std::vector<std::uint64_t>& offsets = file.unit_offsets();
  auto after = std::upper_bound(offsets.begin(), offsets.end(), die_offset);
  if (after == offsets.begin()) return nullptr;
  return unit_at(file, *std::prev(after));
}

std::size_t DwarfUnitCache::memory() const {
  std::size_t total = 0;
  for (const auto& unit : units_) total += unit->memory();
  return total;
}

bool referenced_die(const Die& from, const AttributeValue& reference, DwarfUnitCache& units,
                    std::shared_ptr<const DwarfUnit>& holder, Die& out) {
  if (!is_reference(reference.form)) return false;
  const DwarfUnit& unit = *from.unit;
  switch (reference.form) {
    case DW_FORM_ref_addr:
      if (reference.value >= unit.first_die && reference.value < unit.end) {
        return read_die(unit, reference.value, out);
      }
      holder = units.unit_holding(*unit.file, reference.value);
      break;
    case kFormRefSup4:
    case kFormRefSup8:
    case kFormGnuRefAlt:
      if (!unit.file->alt) return false;
      holder = units.unit_holding(*unit.file->alt, reference.value);
      break;
    default:
      return read_die(unit, unit.offset + reference.value, out);
  }
  return holder && read_die(*holder, reference.value, out);
}

std::string_view integrated_string(const Die& die, unsigned name, DwarfUnitCache& units) {
  Die current = die;
  std::shared_ptr<const DwarfUnit> holder;
  for (int level = 0; level < 16; ++level) {
    AttributeValue value;
    if (find_attribute(current, name, value)) return string_value(*current.unit, value);
    if (!find_attribute(current, DW_AT_abstract_origin, value) &&
        !find_attribute(current, DW_AT_specification, value)) {
      return {};
    }
    std::shared_ptr<const DwarfUnit> next_holder;
    Die next;
    if (!referenced_die(current, value, units, next_holder, next)) return {};
    current = next;
    if (next_holder) holder = std::move(next_holder);  // keeps current's unit alive
  }
  return {};
}

}  // namespace ember::native

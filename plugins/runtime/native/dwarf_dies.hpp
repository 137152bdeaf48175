// DWARF's debugging information entries (.debug_info, DWARF 2 to 5) read in
// place from the sections: unit headers, abbreviation tables, a DIE's
// attributes, its children, its address ranges and the DIEs it refers to
// (in its unit, in another unit, in a dwz alt file). What is kept between
// lookups is what the caller keeps: the units it holds (a header, the
// unit DIE's bases and the abbreviations) and each file's unit starts.
// libdw, which this replaces for DIEs, kept a record of every unit before
// the one a lookup reached and the abbreviations of every unit it walked
// for as long as its handle was open: 5 MB for libc6-dbg's 4,126 units.
//
// Split DWARF (.dwo, DW_FORM_GNU_*_index) and type units are not read: their
// DIEs hold no code addresses a lookup starts from.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

namespace ember::native {

// The sections of one file DIEs read, in memory (mapped or inflated).
struct DwarfSections {
  std::string_view info;         // .debug_info
  std::string_view abbrev;       // .debug_abbrev
  std::string_view str;          // .debug_str
  std::string_view line_str;     // .debug_line_str
  std::string_view str_offsets;  // .debug_str_offsets
  std::string_view addr;         // .debug_addr
  std::string_view ranges;       // .debug_ranges (DWARF 2-4)
  std::string_view rnglists;     // .debug_rnglists (DWARF 5)
  std::string_view aranges;      // .debug_aranges
  std::string_view line;         // .debug_line
};

// One file's DWARF: its sections and, found on first use, where its units
// start (to find the unit a reference lands in). `alt` is the dwz alt file
// its DW_FORM_GNU_ref_alt / ref_sup references and alt strings point into.
struct DwarfFile {
  DwarfSections sections;
  const DwarfFile* alt = nullptr;

  // The offsets of its unit headers, sorted; walked once.
  const std::vector<std::uint64_t>& unit_offsets() const;
  // Bytes the list holds.
  std::size_t memory() const { return units_.capacity() * sizeof(std::uint64_t); }

 private:
  mutable bool listed_ = false;
  mutable std::vector<std::uint64_t> units_;
};

// One unit's abbreviation table, decoded: 4 bytes an attribute (a C++
// unit's table has thousands), DW_FORM_implicit_const's values apart.
class Abbreviations {
 public:
  struct Attribute {
    std::uint16_t name;
    std::uint16_t form;
  };
  struct Entry {
    std::uint64_t code;
    std::uint32_t first;  // attributes_[first, first + count)
    std::uint16_t count;
    std::uint16_t tag;
    bool children;
  };

  // The table at `offset`; false when it is malformed.
  bool read(std::string_view section, std::uint64_t offset);
  const Entry* find(std::uint64_t code) const;
  const Attribute* attributes(const Entry& entry) const { return &attributes_[entry.first]; }
  // The value of attribute `index` (entry.first + its position), whose form
  // is DW_FORM_implicit_const.
  std::int64_t implicit_const(std::uint32_t index) const;
  std::size_t memory() const;

 private:
  std::vector<Entry> entries_;  // by code; entries_[code - 1] when codes run 1, 2, ...
  std::vector<Attribute> attributes_;
  std::vector<std::pair<std::uint32_t, std::int64_t>> implicit_consts_;  // by attribute index
  bool dense_ = true;
};

// A unit opened for reading its DIEs: its header, its abbreviations and
// what its unit DIE says the others' attributes are relative to.
struct DwarfUnit {
  const DwarfFile* file = nullptr;
  std::uint64_t offset = 0;     // of its header in .debug_info
  std::uint64_t end = 0;        // one past its last byte
  std::uint64_t first_die = 0;  // the unit DIE's offset
  std::uint16_t version = 0;
  std::uint8_t address_size = 8;
  std::uint8_t offset_size = 4;
  Abbreviations abbreviations;
  std::uint64_t base_address = 0;  // the unit DIE's DW_AT_low_pc
  std::uint64_t addr_base = 0;
  std::uint64_t str_offsets_base = 0;
  std::uint64_t rnglists_base = 0;

  // The unit whose header is at `offset` of file's .debug_info; null when
  // there is none or it is malformed, or it is a type or split unit.
  static std::unique_ptr<DwarfUnit> open(const DwarfFile& file, std::uint64_t offset);
  std::size_t memory() const { return sizeof(DwarfUnit) + abbreviations.memory(); }
};

// Where the header of the unit at `offset` ends and the next unit starts;
// false when no readable header is there.
bool unit_extent(std::string_view info, std::uint64_t offset, std::uint64_t& first_die,
                 std::uint64_t& next);

struct Die {
  const DwarfUnit* unit = nullptr;
  std::uint64_t offset = 0;      // in .debug_info
  std::uint64_t attributes = 0;  // where its attribute values start
  const Abbreviations::Entry* abbreviation = nullptr;

  unsigned tag() const { return abbreviation->tag; }
};

// One attribute's value as encoded: a constant, an address or index, a
// section offset, or (strings, blocks) the bytes.
struct AttributeValue {
  unsigned form = 0;
  std::uint64_t value = 0;
  std::string_view bytes;
};

// The DIE at `offset` of `unit`; false at a null entry (the end of a list of
// children) or when it is malformed.
bool read_die(const DwarfUnit& unit, std::uint64_t offset, Die& out);
// Its first child, and the next sibling; false when there is none.
bool first_child(const Die& die, Die& out);
bool next_sibling(const Die& die, Die& out);

// The attribute `name` of `die` itself; false when it has none.
bool find_attribute(const Die& die, unsigned name, AttributeValue& out);
// An attribute as text (the string forms); empty when it is not a string.
std::string_view string_value(const DwarfUnit& unit, const AttributeValue& value);
// As an unsigned constant (the data forms, DW_FORM_implicit_const, and
// section offsets); false for another form.
bool constant_value(const AttributeValue& value, std::uint64_t& out);
// As an address (DW_FORM_addr, the addrx forms).
bool address_value(const DwarfUnit& unit, const AttributeValue& value, std::uint64_t& out);

// Takes a range [low, high); returns false to be given no more.
using RangeVisitor = std::function<bool(std::uint64_t low, std::uint64_t high)>;
// The address ranges of `die` (low_pc/high_pc or DW_AT_ranges), each given
// to `range` until it returns false; empty ranges are left out.
void for_each_range(const Die& die, const RangeVisitor& range);
// Whether a range of `die` holds `vaddr`.
bool has_address(const Die& die, std::uint64_t vaddr);

// Units opened for references out of the unit being read: the last few,
// kept with their abbreviations (a lookup's DIEs refer to the same few).
class DwarfUnitCache {
 public:
  explicit DwarfUnitCache(std::size_t capacity = 8) : capacity_(capacity) {}
  // The unit whose header is at `offset` of `file`.
  std::shared_ptr<const DwarfUnit> unit_at(const DwarfFile& file, std::uint64_t offset);
  // The unit of `file` holding the DIE at `die_offset`.
  std::shared_ptr<const DwarfUnit> unit_holding(const DwarfFile& file, std::uint64_t die_offset);
  std::size_t memory() const;

 private:
  std::size_t capacity_;
  std::vector<std::shared_ptr<const DwarfUnit>> units_;  // most recently used last
};

// The DIE a reference attribute of `from` (DW_AT_abstract_origin,
// DW_AT_specification, ...) points at; `holder` keeps its unit alive when
// it is another. False when the form is not a reference or the target is
// unreadable.
bool referenced_die(const Die& from, const AttributeValue& reference, DwarfUnitCache& units,
                    std::shared_ptr<const DwarfUnit>& holder, Die& out);

// The string attribute `name` of `die` or of the DIEs it stands for
// (DW_AT_abstract_origin, then DW_AT_specification, a few levels deep): an
// inlined instance or an out-of-line definition names nothing itself.
std::string_view integrated_string(const Die& die, unsigned name, DwarfUnitCache& units);

}  // namespace ember::native

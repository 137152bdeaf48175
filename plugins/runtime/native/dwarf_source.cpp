#include "dwarf_source.hpp"

#include <dwarf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <unordered_map>

#include "dwarf_bytes.hpp"
#include "dwarf_dies.hpp"
#include "ember/proc_maps.hpp"
#include "file_pages.hpp"
#include "line_table.hpp"

namespace ember::native {
namespace {

// An address range and the DIE it belongs to (a unit's header or a
// function), in 16 bytes: the functions of every unit looked up are kept
// (tens of thousands for an interpreter). A range of 4 GiB or more, or a
// DIE 4 GiB or more into the section, is left out (no real object has
// either): its addresses keep the symbol table's names.
struct DieRange {
  std::uint64_t low;
  std::uint32_t size;
  std::uint32_t die;

  std::uint64_t high() const { return low + size; }
};

void sort_ranges(std::vector<DieRange>& ranges) {
  std::sort(ranges.begin(), ranges.end(), [](const DieRange& a, const DieRange& b) {
    return a.low != b.low ? a.low < b.low : a.die < b.die;
  });
}

// The range holding `vaddr`; ranges rarely overlap, so a few steps back
// cover the ones that do. Of ranges starting at the same address (an
// assembler function's aliases) the first DIE's.
const DieRange* find_range(const std::vector<DieRange>& ranges, std::uint64_t vaddr) {
  auto after = std::upper_bound(ranges.begin(), ranges.end(), vaddr,
                                [](std::uint64_t a, const DieRange& r) { return a < r.low; });
  for (int steps = 0; after != ranges.begin() && steps < 8; ++steps) {
    --after;
    if (vaddr >= after->high()) continue;
    while (after != ranges.begin() && std::prev(after)->low == after->low &&
           vaddr < std::prev(after)->high()) {
      --after;
    }
    return &*after;
  }
  return nullptr;
}

void add_range(std::uint64_t low, std::uint64_t high, std::uint64_t die,
               std::vector<DieRange>& ranges) {
  constexpr std::uint64_t kMax = UINT32_MAX;
  if (low < high && high - low <= kMax && die <= kMax) {
    ranges.push_back(
        {low, static_cast<std::uint32_t>(high - low), static_cast<std::uint32_t>(die)});
  }
}

void add_ranges(const Die& die, std::uint64_t id, std::vector<DieRange>& ranges) {
  for_each_range(die, [&](std::uint64_t low, std::uint64_t high) {
    add_range(low, high, id, ranges);
    return true;
  });
}

// The out-of-line functions of a unit, searched once per unit instead of
// walking its top-level DIEs (thousands of types from headers) per lookup.
// Namespaces (C++, Rust modules) have no addresses, so they are entered.
void index_functions(const Die& parent, std::vector<DieRange>& functions, int depth = 0) {
  Die child;
  if (depth > 64 || !first_child(parent, child)) return;
  do {
    unsigned tag = child.tag();
    if (tag == DW_TAG_subprogram) {
      add_ranges(child, child.offset, functions);
    } else if (tag == DW_TAG_namespace || tag == DW_TAG_module) {
      index_functions(child, functions, depth + 1);
    }
  } while (next_sibling(child, child));
}

// Relative file names (ccache's base_dir, -fdebug-prefix-map) are relative
// to the unit's compilation directory.
std::string full_path(std::string_view file, std::string_view directory) {
  if (file.empty() || file[0] == '/' || directory.empty() || directory[0] != '/') {
    return std::string(file);
  }
  return (std::filesystem::path(directory) / file).lexically_normal().string();
}

std::string function_name(const Die& die, DwarfUnitCache& units) {
  for (unsigned name : {DW_AT_linkage_name, DW_AT_MIPS_linkage_name, DW_AT_name}) {
    std::string_view text = integrated_string(die, name, units);
    if (!text.empty()) return std::string(text);
  }
  return {};
}

std::uint32_t constant_attribute(const Die& die, unsigned name, bool& present) {
  AttributeValue value;
  std::uint64_t number = 0;
  present = find_attribute(die, name, value) && constant_value(value, number);
  return static_cast<std::uint32_t>(number);
}

// The inlined functions containing `vaddr` inside `function`, outermost
// first. Only the scope holding the address is entered at each level.
void collect_inlined(const Die& parent, std::uint64_t vaddr, std::vector<Die>& chain,
                     int depth = 0) {
  Die child;
  if (depth > 128 || !first_child(parent, child)) return;
  do {
    unsigned tag = child.tag();
    if ((tag == DW_TAG_inlined_subroutine || tag == DW_TAG_lexical_block ||
         tag == DW_TAG_try_block || tag == DW_TAG_catch_block) &&
        has_address(child, vaddr)) {
      if (tag == DW_TAG_inlined_subroutine) chain.push_back(child);
      collect_inlined(child, vaddr, chain, depth + 1);
      return;
    }
  } while (next_sibling(child, child));
}

// Estimated heap per unit looked up: our record of it and its function
// index, and its line index (LineTable::memory).
constexpr std::size_t kUnitOverhead = 256;

// libelf's mapping of the file, when it has one that is file-backed and
// read-only (ELF_C_READ_MMAP: PROT_READ, MAP_PRIVATE, so never written);
// when mmap failed libelf read the file into the heap instead, which must
// never be given to madvise. Checked once per open in /proc/self/maps.
bool read_only_file_mapping(int fd, const char* raw, std::size_t size) {
  struct stat st;
  if (!raw || size == 0 || fstat(fd, &st) != 0) return false;
  std::vector<Mapping> maps;
  if (!read_proc_maps(static_cast<std::uint32_t>(getpid()), maps)) return false;
  auto at = reinterpret_cast<std::uint64_t>(raw);
  const std::uint64_t end = at + size;
  while (at < end) {
    const Mapping* mapping = find_mapping(maps, at);
    if (!mapping || !mapping->is_file() || mapping->writable || mapping->shared ||
        mapping->inode != static_cast<std::uint64_t>(st.st_ino)) {
      return false;
    }
    at = mapping->end;
  }
  return true;
}

// Where each DWARF section's bytes go, by name (".zdebug_": the GNU
// compressed form of the same section).
std::string_view* section_slot(DwarfSections& sections, std::string_view name) {
  if (name.substr(0, 8) == ".zdebug_")
    name.remove_prefix(8);
  else if (name.substr(0, 7) == ".debug_")
    name.remove_prefix(7);
  else
    return nullptr;
  if (name == "info") return &sections.info;
  if (name == "abbrev") return &sections.abbrev;
  if (name == "str") return &sections.str;
  if (name == "line_str") return &sections.line_str;
  if (name == "str_offsets") return &sections.str_offsets;
  if (name == "addr") return &sections.addr;
  if (name == "ranges") return &sections.ranges;
  if (name == "rnglists") return &sections.rnglists;
  if (name == "aranges") return &sections.aranges;
  if (name == "line") return &sections.line;
  return nullptr;
}

// One ELF file whose DWARF is read: the DWARF's own, or its dwz alt file.
// Sections are read in place from libelf's mapping; a compressed one
// (SHF_COMPRESSED, as Debian's -dbg packages ship, or .zdebug_) is
// inflated into the heap by libelf at open.
struct ElfDwarf {
  int fd = -1;
  Elf* elf = nullptr;
  DwarfFile dwarf;
  std::size_t inflated = 0;  // heap bytes of inflated sections
  // libelf's read-only mapping of the file, page-aligned; null when none.
  void* mapped = nullptr;
  std::size_t mapped_size = 0;

  ElfDwarf() = default;
  ElfDwarf(const ElfDwarf&) = delete;
  ElfDwarf& operator=(const ElfDwarf&) = delete;
  ~ElfDwarf() {
    if (elf) elf_end(elf);
    if (fd >= 0) ::close(fd);
  }

  Status open(const std::string& path) {
    elf_version(EV_CURRENT);
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Status::error("cannot open " + path + ": " + std::strerror(errno));
    elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
    std::size_t names = 0;
    if (!elf || elf_kind(elf) != ELF_K_ELF || elf_getshdrstrndx(elf, &names) != 0) {
      return Status::error(path + ": not an ELF file (" + elf_errmsg(-1) + ")");
    }
    std::size_t raw_size = 0;
    const char* raw = elf_rawfile(elf, &raw_size);
    for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
      GElf_Shdr shdr;
      const char* name = gelf_getshdr(scn, &shdr) ? elf_strptr(elf, names, shdr.sh_name) : nullptr;
      std::string_view* slot = name ? section_slot(dwarf.sections, name) : nullptr;
      if (!slot || shdr.sh_type == SHT_NOBITS) continue;
      if (shdr.sh_flags & SHF_COMPRESSED) {
        if (elf_compress(scn, 0, 0) < 0) continue;
      } else if (std::strncmp(name, ".zdebug_", 8) == 0) {
        if (elf_compress_gnu(scn, 0, 0) < 0) continue;
      }
      Elf_Data* data = elf_getdata(scn, nullptr);
      if (!data || !data->d_buf) continue;
      *slot = {static_cast<const char*>(data->d_buf), data->d_size};
      const char* bytes = static_cast<const char*>(data->d_buf);
      if (!raw || bytes < raw || bytes >= raw + raw_size) inflated += data->d_size;
    }
    if (dwarf.sections.info.empty() || dwarf.sections.abbrev.empty()) {
      return Status::error(path + ": no DWARF (no .debug_info)");
    }
    find_mapping(raw, raw_size);
    return Status::ok();
  }

  void find_mapping(const char* raw, std::size_t size) {
    if (!read_only_file_mapping(fd, raw, size)) return;
    const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
    auto begin = reinterpret_cast<std::uintptr_t>(raw) & ~(page - 1);
    auto end = (reinterpret_cast<std::uintptr_t>(raw) + size + page - 1) & ~(page - 1);
    mapped = reinterpret_cast<void*>(begin);
    mapped_size = end - begin;
  }

  void release_file_pages() const {
    if (mapped) FilePagesRelease::release(mapped, mapped_size);
  }
};

// The units .debug_aranges names and their ranges; returns the units
// (header offsets) it names, sorted.
std::vector<std::uint64_t> read_aranges(std::string_view aranges, std::vector<DieRange>& units) {
  std::vector<std::uint64_t> named;
  DwarfBytes in(aranges, 0);
  while (in.ok() && in.at() < aranges.size()) {
    const std::uint64_t set = in.at();
    unsigned offset_size = 4;
    std::uint64_t length = 0;
    if (!in.initial_length(length, offset_size) || length > aranges.size() - in.at()) break;
    const std::uint64_t end = in.at() + length;
    in.u16();  // version
    std::uint64_t unit = in.fixed(offset_size);
    unsigned address_size = in.u8();
    unsigned segment_size = in.u8();
    if (in.ok() && segment_size == 0 && (address_size == 4 || address_size == 8)) {
      // Tuples start at a multiple of their size from the set's start.
      const std::uint64_t tuple = 2 * address_size;
      in.seek(set + (in.at() - set + tuple - 1) / tuple * tuple);
      bool any = false;
      while (in.ok() && in.at() + tuple <= end) {
        std::uint64_t start = in.fixed(address_size);
        std::uint64_t size = in.fixed(address_size);
        if (start == 0 && size == 0) break;
        if (size > 0) {
          add_range(start, start + size, unit, units);
          any = true;
        }
      }
      if (any) named.push_back(unit);
    }
    in.seek(end);
  }
  std::sort(named.begin(), named.end());
  return named;
}

}  // namespace

struct DwarfSource::Impl {
  // Declared first so it is ended last: the DWARF points into it.
  std::unique_ptr<ElfDwarf> alt;
  ElfDwarf file;
  LineSections line_sections;
  DwarfUnitCache unit_cache;
  std::size_t memory = 0;
  bool units_indexed = false;
  std::vector<DieRange> units;  // by unit header offset, sorted; built at the first lookup
  // What lookups read of a unit, kept while the handle is open.
  struct UnitIndex {
    std::vector<DieRange> functions;   // sorted
    std::unique_ptr<LineTable> lines;  // null: no line program LineTable reads
  };
  std::unordered_map<std::uint64_t, UnitIndex> unit_indexes;  // by unit header offset

  // The file pages lookups touched (a unit's DIEs, line program, strings)
  // count in the agent's RSS for as long as the handle is open, though the
  // page cache holds them anyway. Not after every lookup: a new process'
  // first samples bring hundreds of lookups a second, each of which faulted
  // the same pages back.
  void release_file_pages() const {
    file.release_file_pages();
    if (alt) alt->release_file_pages();
  }

  // Units by address: from .debug_aranges, and for a unit the table does
  // not name (a type-only unit, one another compiler built, or a file with
  // no table: LLVM writes none) from its unit DIE's ranges. Both walks read
  // every unit's header, a page or more apart each, and the kernel maps
  // 64 KiB around every page read (5.8 MB of libpython3.12's 9 MB
  // .debug_info at its first lookup): the pages go back as the walk goes.
  void index_units() {
    units_indexed = true;
    const DwarfFile& dwarf = file.dwarf;
    const std::vector<std::uint64_t>& offsets = dwarf.unit_offsets();
    std::vector<std::uint64_t> named = read_aranges(dwarf.sections.aranges, units);
    release_file_pages();
    constexpr std::uint64_t kReleaseEvery = 1 << 20;
    std::uint64_t released_at = 0;
    for (std::uint64_t offset : offsets) {
      if (std::binary_search(named.begin(), named.end(), offset)) continue;
      std::unique_ptr<DwarfUnit> unit = DwarfUnit::open(dwarf, offset);
      Die die;
      if (unit && read_die(*unit, unit->first_die, die)) add_ranges(die, offset, units);
      if (offset - released_at >= kReleaseEvery) {
        release_file_pages();
        released_at = offset;
      }
    }
    release_file_pages();
    sort_ranges(units);
    units.shrink_to_fit();
    memory += units.capacity() * sizeof(DieRange) + dwarf.memory();
  }

  // The unit's line table, when it has one LineTable reads.
  std::unique_ptr<LineTable> read_lines(const Die& unit_die) {
    AttributeValue value;
    std::uint64_t offset = 0;
    if (!find_attribute(unit_die, DW_AT_stmt_list, value) || !constant_value(value, offset)) {
      return nullptr;
    }
    std::string why;
    std::unique_ptr<LineTable> table = LineTable::read(line_sections, offset, why);
    if (table) memory += table->memory();
    return table;
  }

  std::shared_ptr<const DwarfUnit> find_unit(std::uint64_t vaddr) {
    if (!units_indexed) index_units();
    const DieRange* range = find_range(units, vaddr);
    return range ? unit_cache.unit_at(file.dwarf, range->die) : nullptr;
  }

  UnitIndex& index_of(const DwarfUnit& unit, const Die& unit_die) {
    auto [it, inserted] = unit_indexes.try_emplace(unit.offset);
    if (inserted) {
      UnitIndex& index = it->second;
      index_functions(unit_die, index.functions);
      release_file_pages();  // the unit's every DIE: a large unit is megabytes
      sort_ranges(index.functions);
      index.functions.shrink_to_fit();
      memory += kUnitOverhead + index.functions.capacity() * sizeof(DieRange);
      index.lines = read_lines(unit_die);
    }
    return it->second;
  }
};

DwarfSource::DwarfSource(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DwarfSource::~DwarfSource() = default;

Status DwarfSource::open(const std::string& path, std::unique_ptr<DwarfSource>& out) {
  std::string note;
  return open(path, "", out, note);
}

Status DwarfSource::open(const std::string& path, const std::string& alt_path,
                         std::unique_ptr<DwarfSource>& out, std::string& note) {
  auto impl = std::make_unique<Impl>();
  if (Status opened = impl->file.open(path); !opened) return opened;
  const DwarfSections& sections = impl->file.dwarf.sections;
  impl->line_sections = {sections.line, sections.line_str, sections.str};
  impl->memory += impl->file.inflated;
  if (!alt_path.empty()) {
    auto alt = std::make_unique<ElfDwarf>();
    if (Status opened = alt->open(alt_path); !opened) {
      note = path + ": its dwz alt file is left out, names dwz moved there stay missing: " +
             opened.message();
    } else {
      impl->memory += alt->inflated;
      impl->file.dwarf.alt = &alt->dwarf;
      impl->alt = std::move(alt);
    }
  }
  impl->release_file_pages();  // inflating compressed sections read all of them
  out.reset(new DwarfSource(std::move(impl)));
  return Status::ok();
}

void DwarfSource::release_file_pages() { impl_->release_file_pages(); }

bool DwarfSource::lookup(std::uint64_t vaddr, std::vector<SourceFunction>& out) {
  out.clear();
  std::shared_ptr<const DwarfUnit> unit = impl_->find_unit(vaddr);
  Die unit_die;
  if (!unit || !read_die(*unit, unit->first_die, unit_die)) return false;
  const Impl::UnitIndex& index = impl_->index_of(*unit, unit_die);
  DwarfUnitCache& units = impl_->unit_cache;
  std::vector<Die> chain(1);
  const DieRange* function = find_range(index.functions, vaddr);
  if (function && read_die(*unit, function->die, chain[0])) {
    collect_inlined(chain[0], vaddr, chain);
  } else {
    chain.clear();
  }
  std::string_view directory = integrated_string(unit_die, DW_AT_comp_dir, units);
  // File names by the unit's numbering, from its line table.
  auto file_name = [&](std::uint64_t number) -> std::string {
    if (!index.lines) return {};
    std::optional<std::string> name = index.lines->file_name(number);
    return name ? full_path(*name, directory) : std::string();
  };

  // The innermost function is where the line table says the address is.
  SourceFunction leaf;
  LineTable::Row row;
  if (index.lines && index.lines->find(vaddr, row)) {
    leaf.file = file_name(row.file);
    leaf.line = row.line;
  }
  if (chain.empty()) {
    out.push_back(std::move(leaf));  // an assembler unit: lines, no functions
    return true;
  }
  leaf.name = function_name(chain.back(), units);
  leaf.inlined = chain.back().tag() == DW_TAG_inlined_subroutine;
  out.push_back(std::move(leaf));
  // Each caller is at the call site its inlined callee records.
  for (std::size_t i = chain.size() - 1; i > 0; --i) {
    const Die& callee = chain[i];
    const Die& caller = chain[i - 1];
    SourceFunction frame;
    frame.name = function_name(caller, units);
    frame.inlined = caller.tag() == DW_TAG_inlined_subroutine;
    bool present = false;
    std::uint32_t call_file = constant_attribute(callee, DW_AT_call_file, present);
    if (present) frame.file = file_name(call_file);
    frame.line = constant_attribute(callee, DW_AT_call_line, present);
    out.push_back(std::move(frame));
  }
  return true;
}

std::size_t DwarfSource::units_read() const { return impl_->unit_indexes.size(); }

std::size_t DwarfSource::memory_estimate() const {
  return impl_->memory + impl_->unit_cache.memory();
}

}  // namespace ember::native

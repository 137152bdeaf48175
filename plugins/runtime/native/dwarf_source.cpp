#include "dwarf_source.hpp"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <gelf.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <unordered_map>
#include <unordered_set>

#include "ember/proc_maps.hpp"
#include "file_pages.hpp"
#include "line_table.hpp"

namespace ember::native {
namespace {

// An address range and the DIE it belongs to (a unit or a function), in
// 16 bytes: the functions of every unit looked up are kept (tens of
// thousands for an interpreter). A range of 4 GiB or more, or a DIE 4 GiB
// or more into the section, is left out (no real object has either): its
// addresses keep the symbol table's names.
struct DieRange {
  std::uint64_t low;
  std::uint32_t size;
  std::uint32_t die;

  std::uint64_t high() const { return low + size; }
};

void sort_ranges(std::vector<DieRange>& ranges) {
  std::sort(ranges.begin(), ranges.end(),
            [](const DieRange& a, const DieRange& b) { return a.low < b.low; });
}

// The range holding `vaddr`; ranges rarely overlap, so a few steps back
// cover the ones that do.
const DieRange* find_range(const std::vector<DieRange>& ranges, std::uint64_t vaddr) {
  auto after = std::upper_bound(ranges.begin(), ranges.end(), vaddr,
                                [](std::uint64_t a, const DieRange& r) { return a < r.low; });
  for (int steps = 0; after != ranges.begin() && steps < 8; ++steps) {
    --after;
    if (vaddr < after->high()) return &*after;
  }
  return nullptr;
}

void add_range(std::uint64_t low, std::uint64_t high, Dwarf_Off die,
               std::vector<DieRange>& ranges) {
  constexpr std::uint64_t kMax = UINT32_MAX;
  if (low < high && high - low <= kMax && die <= kMax) {
    ranges.push_back(
        {low, static_cast<std::uint32_t>(high - low), static_cast<std::uint32_t>(die)});
  }
}

void add_ranges(Dwarf_Die* die, std::vector<DieRange>& ranges) {
  Dwarf_Addr base;
  Dwarf_Addr low;
  Dwarf_Addr high;
  ptrdiff_t offset = 0;
  while ((offset = dwarf_ranges(die, offset, &base, &low, &high)) > 0) {
    add_range(low, high, dwarf_dieoffset(die), ranges);
  }
}

// The out-of-line functions of a unit, searched once per unit instead of
// walking its top-level DIEs (thousands of types from headers) per lookup.
// Namespaces (C++, Rust modules) have no addresses, so they are entered.
void index_functions(Dwarf_Die* parent, std::vector<DieRange>& functions) {
  Dwarf_Die child;
  if (dwarf_child(parent, &child) != 0) return;
  do {
    int tag = dwarf_tag(&child);
    if (tag == DW_TAG_subprogram) {
      add_ranges(&child, functions);
    } else if (tag == DW_TAG_namespace || tag == DW_TAG_module) {
      index_functions(&child, functions);
    }
  } while (dwarf_siblingof(&child, &child) == 0);
}

std::string dwarf_error() {
  const char* message = dwarf_errmsg(-1);
  return message ? message : "unknown libdw error";
}

const char* string_attribute(Dwarf_Die* die, unsigned name) {
  Dwarf_Attribute attribute;
  // _integrate follows DW_AT_abstract_origin and DW_AT_specification: an
  // inlined instance names nothing itself.
  if (!dwarf_attr_integrate(die, name, &attribute)) return nullptr;
  return dwarf_formstring(&attribute);
}

// Relative file names (ccache's base_dir, -fdebug-prefix-map) are relative
// to the unit's compilation directory.
std::string full_path(const char* file, const char* directory) {
  if (file[0] == '/' || !directory || directory[0] != '/') return file;
  return (std::filesystem::path(directory) / file).lexically_normal().string();
}

std::string function_name(Dwarf_Die* die) {
  for (unsigned name : {DW_AT_linkage_name, DW_AT_MIPS_linkage_name, DW_AT_name}) {
    if (const char* text = string_attribute(die, name)) return text;
  }
  return {};
}

// The inlined functions containing `vaddr` inside `function`, outermost
// first. Only the scope holding the address is entered at each level.
void collect_inlined(Dwarf_Die* parent, std::uint64_t vaddr, std::vector<Dwarf_Die>& chain) {
  Dwarf_Die child;
  if (dwarf_child(parent, &child) != 0) return;
  do {
    int tag = dwarf_tag(&child);
    if ((tag == DW_TAG_inlined_subroutine || tag == DW_TAG_lexical_block ||
         tag == DW_TAG_try_block || tag == DW_TAG_catch_block) &&
        dwarf_haspc(&child, vaddr) > 0) {
      if (tag == DW_TAG_inlined_subroutine) chain.push_back(child);
      collect_inlined(&child, vaddr, chain);
      return;
    }
  } while (dwarf_siblingof(&child, &child) == 0);
}

// Estimated heap per unit: its line table, abbreviations and our function
// index. A line table libdw decodes (one LineTable does not read) is about
// kLineTableExpansion times its program; without a readable program size
// the unit counts kDefaultUnitCost.
constexpr std::size_t kLineTableExpansion = 12;
constexpr std::size_t kUnitOverhead = 8 * 1024;
constexpr std::size_t kDefaultUnitCost = 256 * 1024;
// What libdw keeps of every unit once one lookup ran: its record of the unit,
// ~1 KB (libpython3.12's 155 units and libc6-dbg's 2,063 alike).
constexpr std::size_t kUnitCost = 1024;

// Bytes of a section as libdw reads it (inflated if it was compressed).
std::size_t section_bytes(Dwarf* dwarf, const char* wanted) {
  Elf* elf = dwarf_getelf(dwarf);
  std::size_t names = 0;
  if (!elf || elf_getshdrstrndx(elf, &names) != 0) return 0;
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr shdr;
    const char* name = gelf_getshdr(scn, &shdr) ? elf_strptr(elf, names, shdr.sh_name) : nullptr;
    if (!name || std::strcmp(name, wanted) != 0 || shdr.sh_type == SHT_NOBITS) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    return data ? data->d_size : 0;
  }
  return 0;
}

// The size of the line program at `offset` of .debug_line, from its unit_length.
std::size_t line_program_size(std::string_view lines, Dwarf_Word offset) {
  if (offset + 12 > lines.size()) return 0;
  const char* bytes = lines.data() + offset;
  std::uint32_t length32;
  std::memcpy(&length32, bytes, 4);
  if (length32 < 0xfffffff0u) return length32;
  std::uint64_t length64;
  std::memcpy(&length64, bytes + 4, 8);
  return length64 < lines.size() ? static_cast<std::size_t>(length64) : 0;
}

// The sections line programs read, as libdw left them: a compressed
// section is inflated at dwarf_begin, so its data is the inflated bytes.
LineSections line_sections(Dwarf* dwarf) {
  LineSections sections;
  Elf* elf = dwarf_getelf(dwarf);
  std::size_t names = 0;
  if (!elf || elf_getshdrstrndx(elf, &names) != 0) return sections;
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr shdr;
    const char* name = gelf_getshdr(scn, &shdr) ? elf_strptr(elf, names, shdr.sh_name) : nullptr;
    if (!name || shdr.sh_type == SHT_NOBITS || (shdr.sh_flags & SHF_COMPRESSED)) continue;
    std::string_view* into = nullptr;
    if (std::strcmp(name, ".debug_line") == 0) into = &sections.line;
    else if (std::strcmp(name, ".debug_line_str") == 0) into = &sections.line_str;
    else if (std::strcmp(name, ".debug_str") == 0) into = &sections.str;
    Elf_Data* data = into ? elf_getdata(scn, nullptr) : nullptr;
    if (data && data->d_buf) *into = {static_cast<const char*>(data->d_buf), data->d_size};
  }
  return sections;
}

// Bytes of debug sections libdw holds on the heap: a compressed section
// (SHF_COMPRESSED, as Debian's -dbg packages ship) is inflated whole when the
// handle opens, and libc6-dbg's inflate to ~10 MB. Sections read in place
// from the file mapping [raw, raw + raw_size) cost no heap.
std::size_t inflated_bytes(Elf* elf, const char* raw, std::size_t raw_size) {
  std::size_t names = 0;
  if (!elf || elf_getshdrstrndx(elf, &names) != 0) return 0;
  std::size_t total = 0;
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr shdr;
    const char* name = gelf_getshdr(scn, &shdr) ? elf_strptr(elf, names, shdr.sh_name) : nullptr;
    if (!name || std::strncmp(name, ".debug_", 7) != 0 || shdr.sh_type == SHT_NOBITS) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (!data || !data->d_buf) continue;
    const char* bytes = static_cast<const char*>(data->d_buf);
    bool in_file = raw && bytes >= raw && bytes < raw + raw_size;
    if (!in_file) total += data->d_size;
  }
  return total;
}

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

// One file libdw reads: the DWARF's own, or its dwz alt file.
struct DwarfFile {
  int fd = -1;
  Dwarf* dwarf = nullptr;
  // libelf's read-only mapping of the file, page-aligned; null when none.
  void* mapped = nullptr;
  std::size_t mapped_size = 0;

  DwarfFile() = default;
  DwarfFile(const DwarfFile&) = delete;
  DwarfFile& operator=(const DwarfFile&) = delete;
  ~DwarfFile() {
    if (dwarf) dwarf_end(dwarf);
    if (fd >= 0) ::close(fd);
  }

  Status open(const std::string& path) {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Status::error("cannot open " + path + ": " + std::strerror(errno));
    dwarf = dwarf_begin(fd, DWARF_C_READ);
    if (!dwarf) return Status::error(path + ": no DWARF (" + dwarf_error() + ")");
    return Status::ok();
  }

  // Finds libelf's mapping; returns the heap its compressed sections were
  // inflated into.
  std::size_t find_mapping_and_inflated() {
    Elf* elf = dwarf_getelf(dwarf);
    std::size_t size = 0;
    char* raw = elf ? elf_rawfile(elf, &size) : nullptr;
    std::size_t inflated = inflated_bytes(elf, raw, size);
    if (!read_only_file_mapping(fd, raw, size)) return inflated;
    const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
    auto begin = reinterpret_cast<std::uintptr_t>(raw) & ~(page - 1);
    auto end = (reinterpret_cast<std::uintptr_t>(raw) + size + page - 1) & ~(page - 1);
    mapped = reinterpret_cast<void*>(begin);
    mapped_size = end - begin;
    return inflated;
  }

  void release_file_pages() const {
    if (mapped) FilePagesRelease::release(mapped, mapped_size);
  }
};

}  // namespace

struct DwarfSource::Impl {
  // Declared first so it is ended last: the DWARF's handle points into it.
  std::unique_ptr<DwarfFile> alt;
  DwarfFile file;
  Dwarf* dwarf = nullptr;  // file's
  LineSections sections;
  std::size_t memory = 0;
  bool units_indexed = false;
  std::vector<DieRange> units;  // sorted; built at the first lookup
  // What lookups read of a unit, kept while the handle is open.
  struct UnitIndex {
    std::vector<DieRange> functions;  // sorted
    std::unique_ptr<LineTable> lines;  // null: no line program, or libdw reads it
  };
  std::unordered_map<Dwarf_Off, UnitIndex> unit_indexes;  // by unit

  // The file pages lookups touched (a unit's DIEs, line program, strings)
  // count in the agent's RSS for as long as the handle is open, though the
  // page cache holds them anyway. Not after every lookup: a new process'
  // first samples bring hundreds of lookups a second, each of which faulted
  // the same pages back.
  void release_file_pages() const {
    file.release_file_pages();
    if (alt) alt->release_file_pages();
  }

  // Units by address, from one of two sources, whichever costs libdw less
  // heap (measured on libc6-dbg, libpython3.12, ember's own C++, at -O2 and
  // -O0): .debug_aranges, which libdw copies whole (~3 bytes per byte of
  // the table; LLVM writes none), or each unit DIE's ranges, which costs the
  // abbreviations read to decode it (~2 bytes per byte of .debug_abbrev:
  // 1.25 MB for libc6-dbg, against 0.1 MB for its table). A unit the table
  // does not name (a type-only unit, or one another compiler built) has its
  // DIE read. Both walks read every unit's header, a page or more apart
  // each, and the kernel maps 64 KiB around every page read (5.8 MB of
  // libpython3.12's 9 MB .debug_info at its first lookup): the pages go back
  // as the walk goes.
  void index_units() {
    units_indexed = true;
    std::vector<Dwarf_Off> unit_dies;
    Dwarf_Off offset = 0;
    Dwarf_Off next = 0;
    std::size_t header_size = 0;
    while (dwarf_nextcu(dwarf, offset, &next, &header_size, nullptr, nullptr, nullptr) == 0) {
      unit_dies.push_back(offset + header_size);
      offset = next;
    }
    memory += unit_dies.size() * kUnitCost;
    const std::size_t table_cost = 3 * section_bytes(dwarf, ".debug_aranges");
    const std::size_t dies_cost = 2 * section_bytes(dwarf, ".debug_abbrev");
    std::unordered_set<Dwarf_Off> named;
    if (table_cost > 0 && table_cost < dies_cost) {
      named = add_aranges();
      memory += table_cost;
    }
    release_file_pages();
    constexpr Dwarf_Off kReleaseEvery = 1 << 20;
    Dwarf_Off released_at = 0;
    std::size_t dies_read = 0;
    for (Dwarf_Off die_offset : unit_dies) {
      Dwarf_Die unit;
      if (named.count(die_offset) || !dwarf_offdie(dwarf, die_offset, &unit)) continue;
      add_ranges(&unit, units);
      ++dies_read;
      if (die_offset - released_at >= kReleaseEvery) {
        release_file_pages();
        released_at = die_offset;
      }
    }
    release_file_pages();
    if (!unit_dies.empty()) memory += dies_cost * dies_read / unit_dies.size();
    sort_ranges(units);
    units.shrink_to_fit();
    memory += units.capacity() * sizeof(DieRange);
  }

  // The ranges .debug_aranges gives; returns the units (DIE offsets) it names.
  std::unordered_set<Dwarf_Off> add_aranges() {
    std::unordered_set<Dwarf_Off> named;
    Dwarf_Aranges* aranges = nullptr;
    std::size_t count = 0;
    if (dwarf_getaranges(dwarf, &aranges, &count) != 0) return named;
    for (std::size_t i = 0; i < count; ++i) {
      Dwarf_Addr start = 0;
      Dwarf_Word length = 0;
      Dwarf_Off die = 0;
      if (dwarf_getarangeinfo(dwarf_onearange(aranges, i), &start, &length, &die) != 0 ||
          length == 0) {
        continue;
      }
      add_range(start, start + length, die, units);
      named.insert(die);
    }
    return named;
  }

  // The unit's line table, when it has one LineTable reads; its cost
  // (estimated for one libdw will decode) is counted.
  std::unique_ptr<LineTable> read_lines(Dwarf_Die& unit) {
    Dwarf_Attribute attribute;
    Dwarf_Word offset = 0;
    if (dwarf_formudata(dwarf_attr(&unit, DW_AT_stmt_list, &attribute), &offset) != 0) {
      memory += kUnitOverhead;  // no line table
      return nullptr;
    }
    std::string why;
    std::unique_ptr<LineTable> table = LineTable::read(sections, offset, why);
    if (table) {
      memory += kUnitOverhead + table->memory();
    } else {
      std::size_t size = line_program_size(sections.line, offset);
      memory += size ? kUnitOverhead + size * kLineTableExpansion : kDefaultUnitCost;
    }
    return table;
  }

  bool find_unit(std::uint64_t vaddr, Dwarf_Die& unit) {
    if (!units_indexed) index_units();
    const DieRange* range = find_range(units, vaddr);
    return range && dwarf_offdie(dwarf, range->die, &unit);
  }

  UnitIndex& index_of(Dwarf_Die& unit) {
    auto [it, inserted] = unit_indexes.try_emplace(dwarf_dieoffset(&unit));
    if (inserted) {
      UnitIndex& index = it->second;
      index_functions(&unit, index.functions);
      release_file_pages();  // the unit's every DIE: a large unit is megabytes
      sort_ranges(index.functions);
      index.functions.shrink_to_fit();
      memory += index.functions.capacity() * sizeof(DieRange);
      index.lines = read_lines(unit);
    }
    return it->second;
  }

  bool find_function(const UnitIndex& index, std::uint64_t vaddr, Dwarf_Die& function) {
    const DieRange* range = find_range(index.functions, vaddr);
    return range && dwarf_offdie(dwarf, range->die, &function);
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
  impl->dwarf = impl->file.dwarf;
  impl->sections = line_sections(impl->dwarf);
  impl->memory += impl->file.find_mapping_and_inflated();
  if (!alt_path.empty()) {
    auto alt = std::make_unique<DwarfFile>();
    if (Status opened = alt->open(alt_path); !opened) {
      note = path + ": its dwz alt file is left out, names dwz moved there stay missing: " +
             opened.message();
    } else {
      impl->memory += alt->find_mapping_and_inflated();
      dwarf_setalt(impl->dwarf, alt->dwarf);
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
  Dwarf_Die unit;
  if (!impl_->find_unit(vaddr, unit)) return false;
  const Impl::UnitIndex& index = impl_->index_of(unit);
  std::vector<Dwarf_Die> chain(1);
  if (impl_->find_function(index, vaddr, chain[0])) {
    collect_inlined(&chain[0], vaddr, chain);
  } else {
    chain.clear();
  }
  const char* directory = string_attribute(&unit, DW_AT_comp_dir);
  // File names by the unit's numbering: the line table's, else libdw's
  // (which decodes the unit's whole line program for them).
  Dwarf_Files* files = nullptr;
  std::size_t file_count = 0;
  auto file_name = [&](std::uint64_t number) -> std::string {
    if (index.lines) {
      std::optional<std::string> name = index.lines->file_name(number);
      return name ? full_path(name->c_str(), directory) : std::string();
    }
    if (!files && dwarf_getsrcfiles(&unit, &files, &file_count) != 0) return {};
    const char* name = number < file_count ? dwarf_filesrc(files, number, nullptr, nullptr) : nullptr;
    return name ? full_path(name, directory) : std::string();
  };

  // The innermost function is where the line table says the address is.
  SourceFunction leaf;
  LineTable::Row row;
  if (index.lines) {
    if (index.lines->find(vaddr, row)) {
      leaf.file = file_name(row.file);
      leaf.line = row.line;
    }
  } else if (Dwarf_Line* line = dwarf_getsrc_die(&unit, vaddr)) {
    if (const char* file = dwarf_linesrc(line, nullptr, nullptr)) {
      leaf.file = full_path(file, directory);
    }
    int number = 0;
    if (dwarf_lineno(line, &number) == 0 && number > 0)
      leaf.line = static_cast<std::uint32_t>(number);
  }
  if (chain.empty()) {
    out.push_back(std::move(leaf));  // an assembler unit: lines, no functions
    return true;
  }
  leaf.name = function_name(&chain.back());
  leaf.inlined = dwarf_tag(&chain.back()) == DW_TAG_inlined_subroutine;
  out.push_back(std::move(leaf));
  // Each caller is at the call site its inlined callee records.
  for (std::size_t i = chain.size() - 1; i > 0; --i) {
    Dwarf_Die* callee = &chain[i];
    Dwarf_Die* caller = &chain[i - 1];
    SourceFunction frame;
    frame.name = function_name(caller);
    frame.inlined = dwarf_tag(caller) == DW_TAG_inlined_subroutine;
    Dwarf_Attribute attribute;
    Dwarf_Word value = 0;
    if (dwarf_formudata(dwarf_attr(callee, DW_AT_call_file, &attribute), &value) == 0) {
      frame.file = file_name(value);
    }
    if (dwarf_formudata(dwarf_attr(callee, DW_AT_call_line, &attribute), &value) == 0) {
      frame.line = static_cast<std::uint32_t>(value);
    }
    out.push_back(std::move(frame));
  }
  return true;
}

std::size_t DwarfSource::units_read() const { return impl_->unit_indexes.size(); }

std::size_t DwarfSource::memory_estimate() const { return impl_->memory; }

}  // namespace ember::native

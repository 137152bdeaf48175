#include "libdw_functions.hpp"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <gelf.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <map>

#include "line_table.hpp"

namespace ember::native::test {
namespace {

// Units' ranges, walked once.
struct UnitRange {
  Dwarf_Addr low;
  Dwarf_Addr high;
  Dwarf_Off die;
};

const char* string_attribute(Dwarf_Die* die, unsigned name) {
  Dwarf_Attribute attribute;
  if (!dwarf_attr_integrate(die, name, &attribute)) return nullptr;
  return dwarf_formstring(&attribute);
}

std::string function_name(Dwarf_Die* die) {
  for (unsigned name : {DW_AT_linkage_name, DW_AT_MIPS_linkage_name, DW_AT_name}) {
    if (const char* text = string_attribute(die, name)) return text;
  }
  return {};
}

std::string full_path(const std::string& file, const char* directory) {
  if (file.empty() || file[0] == '/' || !directory || directory[0] != '/') return file;
  return (std::filesystem::path(directory) / file).lexically_normal().string();
}

bool find_function(Dwarf_Die* parent, Dwarf_Addr vaddr, Dwarf_Die& out) {
  Dwarf_Die child;
  if (dwarf_child(parent, &child) != 0) return false;
  do {
    int tag = dwarf_tag(&child);
    if (tag == DW_TAG_subprogram && dwarf_haspc(&child, vaddr) > 0) {
      out = child;
      return true;
    }
    if ((tag == DW_TAG_namespace || tag == DW_TAG_module) && find_function(&child, vaddr, out)) {
      return true;
    }
  } while (dwarf_siblingof(&child, &child) == 0);
  return false;
}

void collect_inlined(Dwarf_Die* parent, Dwarf_Addr vaddr, std::vector<Dwarf_Die>& chain) {
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

std::string_view section(Elf* elf, const char* wanted) {
  std::size_t names = 0;
  if (!elf || elf_getshdrstrndx(elf, &names) != 0) return {};
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr shdr;
    const char* name = gelf_getshdr(scn, &shdr) ? elf_strptr(elf, names, shdr.sh_name) : nullptr;
    if (!name || std::strcmp(name, wanted) != 0) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    return data ? std::string_view(static_cast<const char*>(data->d_buf), data->d_size)
                : std::string_view();
  }
  return {};
}

struct Handle {
  int fd = -1;
  Dwarf* dwarf = nullptr;
  ~Handle() {
    if (dwarf) dwarf_end(dwarf);
    if (fd >= 0) ::close(fd);
  }
  bool open(const std::string& path) {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    dwarf = fd >= 0 ? dwarf_begin(fd, DWARF_C_READ) : nullptr;
    return dwarf != nullptr;
  }
};

}  // namespace

struct LibdwFunctions::Impl {
  Handle alt;
  Handle file;
  LineSections sections;
  std::vector<UnitRange> units;
  std::map<Dwarf_Off, std::unique_ptr<LineTable>> lines;
};

LibdwFunctions::LibdwFunctions(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LibdwFunctions::~LibdwFunctions() = default;

std::unique_ptr<LibdwFunctions> LibdwFunctions::open(const std::string& path,
                                                     const std::string& alt_path) {
  auto impl = std::make_unique<Impl>();
  if (!alt_path.empty() && !impl->alt.open(alt_path)) return nullptr;
  if (!impl->file.open(path)) return nullptr;
  if (!alt_path.empty()) dwarf_setalt(impl->file.dwarf, impl->alt.dwarf);
  Elf* elf = dwarf_getelf(impl->file.dwarf);
  impl->sections = {section(elf, ".debug_line"), section(elf, ".debug_line_str"),
                    section(elf, ".debug_str")};
  Dwarf_CU* cu = nullptr;
  Dwarf_Die unit;
  while (dwarf_get_units(impl->file.dwarf, cu, &cu, nullptr, nullptr, &unit, nullptr) == 0) {
    Dwarf_Addr base;
    Dwarf_Addr low;
    Dwarf_Addr high;
    ptrdiff_t offset = 0;
    while ((offset = dwarf_ranges(&unit, offset, &base, &low, &high)) > 0) {
      if (low < high) impl->units.push_back({low, high, dwarf_dieoffset(&unit)});
    }
  }
  return std::unique_ptr<LibdwFunctions>(new LibdwFunctions(std::move(impl)));
}

bool LibdwFunctions::lookup(std::uint64_t vaddr, std::vector<SourceFunction>& out) {
  out.clear();
  Dwarf_Die unit;
  bool found = false;
  for (const UnitRange& range : impl_->units) {
    if (vaddr >= range.low && vaddr < range.high &&
        dwarf_offdie(impl_->file.dwarf, range.die, &unit)) {
      found = true;
      break;
    }
  }
  if (!found) return false;
  LineTable* lines = nullptr;
  Dwarf_Attribute attribute;
  Dwarf_Word stmt_list = 0;
  if (dwarf_formudata(dwarf_attr(&unit, DW_AT_stmt_list, &attribute), &stmt_list) == 0) {
    auto& table = impl_->lines[dwarf_dieoffset(&unit)];
    std::string why;
    if (!table) table = LineTable::read(impl_->sections, stmt_list, why);
    lines = table.get();
  }
  const char* directory = string_attribute(&unit, DW_AT_comp_dir);
  auto file_name = [&](std::uint64_t number) -> std::string {
    std::optional<std::string> name = lines ? lines->file_name(number) : std::nullopt;
    return name ? full_path(*name, directory) : std::string();
  };
  std::vector<Dwarf_Die> chain(1);
  if (find_function(&unit, vaddr, chain[0])) {
    collect_inlined(&chain[0], vaddr, chain);
  } else {
    chain.clear();
  }
  SourceFunction leaf;
  LineTable::Row row;
  if (lines && lines->find(vaddr, row)) {
    leaf.file = file_name(row.file);
    leaf.line = row.line;
  }
  if (chain.empty()) {
    out.push_back(std::move(leaf));
    return true;
  }
  leaf.name = function_name(&chain.back());
  leaf.inlined = dwarf_tag(&chain.back()) == DW_TAG_inlined_subroutine;
  out.push_back(std::move(leaf));
  for (std::size_t i = chain.size() - 1; i > 0; --i) {
    SourceFunction frame;
    frame.name = function_name(&chain[i - 1]);
    frame.inlined = dwarf_tag(&chain[i - 1]) == DW_TAG_inlined_subroutine;
    Dwarf_Word value = 0;
    if (dwarf_formudata(dwarf_attr(&chain[i], DW_AT_call_file, &attribute), &value) == 0) {
      frame.file = file_name(value);
    }
    if (dwarf_formudata(dwarf_attr(&chain[i], DW_AT_call_line, &attribute), &value) == 0) {
      frame.line = static_cast<std::uint32_t>(value);
    }
    out.push_back(std::move(frame));
  }
  return true;
}

}  // namespace ember::native::test

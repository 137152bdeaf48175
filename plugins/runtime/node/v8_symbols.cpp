#include "v8_symbols.hpp"

#include <fcntl.h>
#include <gelf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>
#include <vector>

namespace ember::node {
namespace {

constexpr std::string_view kPrefix = "v8dbg_";

// The version fields' mangled names and the keys they get.
constexpr std::pair<std::string_view, const char*> kVersionSymbols[] = {
    {"_ZN2v88internal7Version6major_E", "version_major"},
    {"_ZN2v88internal7Version6minor_E", "version_minor"},
    {"_ZN2v88internal7Version6build_E", "version_build"},
    {"_ZN2v88internal7Version6patch_E", "version_patch"},
};

struct Segment {
  std::uint64_t vaddr, memsz, offset, filesz;
};

// The 4-byte int at link-time `vaddr`: from the file where a PT_LOAD holds
// it, 0 in a segment's zero-filled tail (.bss); false when no segment does.
bool read_int(int fd, const std::vector<Segment>& segments, std::uint64_t vaddr,
              std::int64_t& value) {
  for (const Segment& s : segments) {
    if (vaddr < s.vaddr || vaddr + 4 > s.vaddr + s.memsz) continue;
    std::uint64_t in_segment = vaddr - s.vaddr;
    if (in_segment >= s.filesz) {
      value = 0;
      return true;
    }
    if (in_segment + 4 > s.filesz) return false;
    std::int32_t raw = 0;
    if (::pread(fd, &raw, 4, static_cast<off_t>(s.offset + in_segment)) != 4) return false;
    value = raw;
    return true;
  }
  return false;
}

}  // namespace

Status read_v8_symbols(const std::string& path, V8Symbols& out) {
  out.clear();
  if (elf_version(EV_CURRENT) == EV_NONE) return Status::error("libelf is unusable");
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::error("cannot open " + path + ": " + std::strerror(errno));
  Elf* elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
  Status status = Status::ok();
  std::vector<Segment> segments;
  std::size_t count = 0;
  if (!elf || elf_kind(elf) != ELF_K_ELF || gelf_getclass(elf) != ELFCLASS64 ||
      elf_getphdrnum(elf, &count) != 0) {
    status = Status::error(path + ": not a 64-bit ELF file");
  } else {
    for (std::size_t i = 0; i < count; ++i) {
      GElf_Phdr phdr;
      if (gelf_getphdr(elf, static_cast<int>(i), &phdr) && phdr.p_type == PT_LOAD) {
        segments.push_back({phdr.p_vaddr, phdr.p_memsz, phdr.p_offset, phdr.p_filesz});
      }
    }
    Elf_Scn* section = nullptr;
    while ((section = elf_nextscn(elf, section)) != nullptr) {
      GElf_Shdr header;
      if (!gelf_getshdr(section, &header)) continue;
      if (header.sh_type != SHT_DYNSYM && header.sh_type != SHT_SYMTAB) continue;
      Elf_Data* data = elf_getdata(section, nullptr);
      if (!data || header.sh_entsize == 0) continue;
      std::size_t symbols = header.sh_size / header.sh_entsize;
      for (std::size_t i = 0; i < symbols; ++i) {
        GElf_Sym symbol;
        if (!gelf_getsym(data, static_cast<int>(i), &symbol)) break;
        if (GELF_ST_TYPE(symbol.st_info) != STT_OBJECT || symbol.st_shndx == SHN_UNDEF) continue;
        const char* raw = elf_strptr(elf, header.sh_link, symbol.st_name);
        if (!raw) continue;
        std::string_view name(raw);
        std::string key;
        if (name.starts_with(kPrefix)) {
          key = name.substr(kPrefix.size());
        } else if (name.starts_with("_ZN2v88internal7Version")) {
          for (const auto& [mangled, version_key] : kVersionSymbols) {
            if (name == mangled) key = version_key;
          }
        }
        if (key.empty() || out.count(key)) continue;
        std::int64_t value = 0;
        if (read_int(fd, segments, symbol.st_value, value)) out.emplace(std::move(key), value);
      }
    }
  }
  if (elf) elf_end(elf);
  ::close(fd);
  return status;
}

}  // namespace ember::node

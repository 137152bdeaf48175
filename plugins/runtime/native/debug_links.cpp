#include "debug_links.hpp"

#include <gelf.h>
#include <libelf.h>

#include <cstring>

#include "frame_names.hpp"

namespace ember::native {
namespace {

// MiniDebugInfo holds a symbol table: a few MB even for the largest
// programs. Anything much bigger is not what we are looking for.
constexpr std::size_t kMaxDebugdata = 64 << 20;

struct ElfHandle {
  Elf* elf = nullptr;
  ~ElfHandle() {
    if (elf) elf_end(elf);
  }
};

std::string libelf_error() {
  const char* message = elf_errmsg(-1);
  return message ? message : "unknown libelf error";
}

}  // namespace

Status read_debug_links(int fd, const std::string& name, DebugLinks& out) {
  out = DebugLinks();
  elf_version(EV_CURRENT);
  ElfHandle handle{elf_begin(fd, ELF_C_READ, nullptr)};
  if (!handle.elf || elf_kind(handle.elf) != ELF_K_ELF) {
    return Status::error(name + ": not an ELF file");
  }
  std::size_t names = 0;
  if (elf_getshdrstrndx(handle.elf, &names) != 0) {
    return Status::error(name + ": corrupt section names (" + libelf_error() + ")");
  }
  bool info = false;
  bool line = false;
  for (Elf_Scn* scn = elf_nextscn(handle.elf, nullptr); scn; scn = elf_nextscn(handle.elf, scn)) {
    GElf_Shdr shdr;
    if (!gelf_getshdr(scn, &shdr) || shdr.sh_type == SHT_NOBITS || shdr.sh_size == 0) continue;
    const char* section = elf_strptr(handle.elf, names, shdr.sh_name);
    if (!section) continue;
    if (std::strcmp(section, ".debug_info") == 0) {
      info = true;
    } else if (std::strcmp(section, ".debug_line") == 0) {
      line = true;
    } else if (std::strcmp(section, ".gnu_debuglink") == 0) {
      // A NUL-terminated file name, padded to 4 bytes, then a CRC-32.
      Elf_Data* data = elf_rawdata(scn, nullptr);
      if (!data || !data->d_buf) continue;
      const char* bytes = static_cast<const char*>(data->d_buf);
      std::size_t length = strnlen(bytes, data->d_size);
      std::size_t crc_at = (length + 4) & ~std::size_t{3};
      if (length == 0 || crc_at + 4 > data->d_size) continue;
      out.debuglink.assign(bytes, length);
      std::memcpy(&out.debuglink_crc, bytes + crc_at, 4);
    } else if (std::strcmp(section, ".gnu_debugaltlink") == 0) {
      // A NUL-terminated path, then the alt file's build id (the rest).
      Elf_Data* data = elf_rawdata(scn, nullptr);
      if (!data || !data->d_buf) continue;
      const char* bytes = static_cast<const char*>(data->d_buf);
      std::size_t length = strnlen(bytes, data->d_size);
      if (length == 0 || length + 1 >= data->d_size) continue;
      out.altlink.assign(bytes, length);
      out.altlink_build_id = hex(reinterpret_cast<const std::uint8_t*>(bytes) + length + 1,
                                 data->d_size - length - 1);
    } else if (std::strcmp(section, ".gnu_debugdata") == 0 && shdr.sh_size <= kMaxDebugdata) {
      Elf_Data* data = elf_rawdata(scn, nullptr);
      if (!data || !data->d_buf) continue;
      const auto* bytes = static_cast<const unsigned char*>(data->d_buf);
      out.debugdata.assign(bytes, bytes + data->d_size);
    }
  }
  out.has_dwarf = info && line;
  out.has_debug_info = info;
  return Status::ok();
}

}  // namespace ember::native

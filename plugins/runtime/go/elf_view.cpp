#include "elf_view.hpp"

#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace ember::go {
namespace {

template <typename T>
bool read_struct(std::span<const std::uint8_t> bytes, std::uint64_t offset, T& out) {
  if (offset > bytes.size() || bytes.size() - offset < sizeof(T)) return false;
  std::memcpy(&out, bytes.data() + offset, sizeof(T));
  return true;
}

}  // namespace

ElfView::~ElfView() { unmap(); }

ElfView::ElfView(ElfView&& other) noexcept { *this = std::move(other); }

ElfView& ElfView::operator=(ElfView&& other) noexcept {
  if (this == &other) return *this;
  unmap();
  mapping_ = std::exchange(other.mapping_, nullptr);
  mapping_size_ = std::exchange(other.mapping_size_, 0);
  bytes_ = std::exchange(other.bytes_, {});
  shared_object_ = other.shared_object_;
  segments_ = std::move(other.segments_);
  sections_ = std::move(other.sections_);
  tls_ = other.tls_;
  return *this;
}

void ElfView::unmap() {
  if (mapping_) munmap(mapping_, mapping_size_);
  mapping_ = nullptr;
  mapping_size_ = 0;
  bytes_ = {};
}

Status ElfView::open(const std::string& path, ElfView& out) {
  out = ElfView();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::error(path + ": " + std::strerror(errno));
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 64) {
    ::close(fd);
    return Status::error(path + ": not a regular file of an ELF's size");
  }
  void* mapping = mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (mapping == MAP_FAILED) return Status::error(path + ": mmap: " + std::strerror(errno));
  out.mapping_ = mapping;
  out.mapping_size_ = static_cast<std::size_t>(st.st_size);
  out.bytes_ = {static_cast<const std::uint8_t*>(mapping), out.mapping_size_};
  if (auto status = out.parse(); !status) {
    out = ElfView();
    return Status::error(path + ": " + status.message());
  }
  return Status::ok();
}

Status ElfView::from_memory(std::span<const std::uint8_t> bytes, ElfView& out) {
  out = ElfView();
  out.bytes_ = bytes;
  if (auto status = out.parse(); !status) {
    out = ElfView();
    return status;
  }
  return Status::ok();
}

Status ElfView::parse() {
  Elf64_Ehdr eh{};
  if (!read_struct(bytes_, 0, eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) {
    return Status::error("not an ELF file");
  }
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB) {
    return Status::error("only 64-bit little-endian ELF files are read");
  }
  shared_object_ = eh.e_type == ET_DYN;
  if (eh.e_phentsize != sizeof(Elf64_Phdr) && eh.e_phnum != 0) {
    return Status::error("unexpected program header size");
  }
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph{};
    if (!read_struct(bytes_, eh.e_phoff + std::uint64_t{i} * sizeof ph, ph)) {
      return Status::error("truncated program headers");
    }
    if (ph.p_type == PT_TLS) tls_ = ElfTls{ph.p_memsz, ph.p_align};
    if (ph.p_type != PT_LOAD) continue;
    segments_.push_back(ElfSegment{ph.p_vaddr, ph.p_memsz, ph.p_offset, ph.p_filesz,
                                   (ph.p_flags & PF_X) != 0, (ph.p_flags & PF_W) != 0});
  }
  // Section headers are optional (sstrip removes them): their absence or
  // damage leaves the sections list empty, and the tables are found by scan.
  if (eh.e_shoff == 0 || eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shstrndx >= eh.e_shnum) {
    return Status::ok();
  }
  Elf64_Shdr names{};
  if (!read_struct(bytes_, eh.e_shoff + std::uint64_t{eh.e_shstrndx} * sizeof names, names) ||
      names.sh_offset > bytes_.size() || bytes_.size() - names.sh_offset < names.sh_size) {
    return Status::ok();
  }
  std::vector<ElfSection> sections;
  for (unsigned i = 0; i < eh.e_shnum; ++i) {
    Elf64_Shdr sh{};
    if (!read_struct(bytes_, eh.e_shoff + std::uint64_t{i} * sizeof sh, sh)) return Status::ok();
    if (sh.sh_name >= names.sh_size) continue;
    const char* start = reinterpret_cast<const char*>(bytes_.data() + names.sh_offset + sh.sh_name);
    std::size_t max = names.sh_size - sh.sh_name;
    std::size_t length = strnlen(start, max);
    if (length == max) continue;
    bool has_bytes = sh.sh_type != SHT_NOBITS && sh.sh_offset <= bytes_.size() &&
                     bytes_.size() - sh.sh_offset >= sh.sh_size;
    sections.push_back(ElfSection{std::string(start, length), sh.sh_addr, sh.sh_offset, sh.sh_size,
                                  has_bytes});
  }
  sections_ = std::move(sections);
  return Status::ok();
}

const ElfSection* ElfView::section(std::string_view name) const {
  for (const ElfSection& s : sections_) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::span<const std::uint8_t> bytes_at_vaddr(std::span<const std::uint8_t> bytes,
                                             const std::vector<ElfSegment>& segments,
                                             std::uint64_t vaddr, std::uint64_t size) {
  for (const ElfSegment& s : segments) {
    if (vaddr < s.vaddr || vaddr - s.vaddr >= s.filesz) continue;
    std::uint64_t delta = vaddr - s.vaddr;
    if (s.filesz - delta < size) return {};
    std::uint64_t offset = s.offset + delta;
    if (offset > bytes.size() || bytes.size() - offset < size) return {};
    return bytes.subspan(offset, size);
  }
  return {};
}

std::optional<std::uint64_t> ElfView::vaddr_of_offset(std::uint64_t offset) const {
  for (const ElfSegment& s : segments_) {
    if (offset >= s.offset && offset - s.offset < s.filesz) return s.vaddr + (offset - s.offset);
  }
  return std::nullopt;
}

}  // namespace ember::go

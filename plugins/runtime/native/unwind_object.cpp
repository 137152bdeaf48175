#include "unwind_object.hpp"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <span>
#include <string_view>

#include "ember/proc_maps.hpp"
#include "frame_names.hpp"

namespace ember::native {
namespace {

// .eh_frame_hdr encodings libunwind's remote table search understands.
constexpr std::uint8_t kDatarelSdata4 = 0x3b;
constexpr std::uint8_t kUdata4 = 0x03;

// rt_sigreturn as glibc's and musl's __restore_rt and Go's runtime.sigreturn
// issue it: mov $15, %rax (48 c7 c0 0f 00 00 00); syscall (0f 05).
constexpr std::string_view kSignalReturn("\x48\xc7\xc0\x0f\x00\x00\x00\x0f\x05", 9);

struct ElfCloser {
  void operator()(Elf* elf) const { elf_end(elf); }
};

}  // namespace

Status UnwindObject::open(int fd, const std::string& name, std::unique_ptr<UnwindObject>& out) {
  struct stat st {};
  if (fstat(fd, &st) != 0) return Status::error(name + ": " + std::strerror(errno));
  if (st.st_size <= 0) return Status::error(name + ": empty file");
  void* data = mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
  if (data == MAP_FAILED) return Status::error(name + ": cannot map: " + std::strerror(errno));
  std::unique_ptr<UnwindObject> object(new UnwindObject());
  object->data_ = static_cast<const std::uint8_t*>(data);
  object->size_ = static_cast<std::size_t>(st.st_size);
  Status status = object->parse(name);
  munmap(data, object->size_);
  object->data_ = nullptr;
  if (!status) return status;
  object->fd_ = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  out = std::move(object);
  return Status::ok();
}

std::shared_ptr<const UnwindObject> UnwindObject::own_vdso() {
  static const std::shared_ptr<const UnwindObject> vdso =
      []() -> std::shared_ptr<const UnwindObject> {
    auto base = getauxval(AT_SYSINFO_EHDR);
    if (!base) return nullptr;
    // The image's extent is the agent's own [vdso] mapping.
    std::vector<Mapping> maps;
    if (!read_proc_maps(static_cast<std::uint32_t>(getpid()), maps)) return nullptr;
    const Mapping* mapping = find_mapping(maps, base);
    if (!mapping || mapping->start != base) return nullptr;
    std::size_t size = mapping->end - mapping->start;
    std::unique_ptr<UnwindObject> object(new UnwindObject());
    object->data_ = reinterpret_cast<const std::uint8_t*>(base);
    object->size_ = size;
    if (!object->parse("[vdso]")) return nullptr;
    return std::shared_ptr<const UnwindObject>(std::move(object));
  }();
  return vdso;
}

UnwindObject::~UnwindObject() {
  if (fd_ >= 0) close(fd_);
}

bool UnwindObject::read(std::uint64_t offset, void* out, std::size_t size) const {
  if (data_) {  // [vdso]: the agent's own image
    if (offset > size_ || size > size_ - offset) return false;
    std::memcpy(out, data_ + offset, size);
    return true;
  }
  if (fd_ < 0) return false;
  if (in_region(offset, size)) return read_cached(offset, static_cast<std::uint8_t*>(out), size);
  return pread(fd_, out, size, static_cast<off_t>(offset)) == static_cast<ssize_t>(size);
}

bool UnwindObject::read_vaddr(std::uint64_t vaddr, void* out, std::size_t size) const {
  for (const Segment& segment : segments_) {
    if (vaddr >= segment.vaddr && vaddr - segment.vaddr <= segment.filesz &&
        size <= segment.filesz - (vaddr - segment.vaddr)) {
      return read(segment.offset + (vaddr - segment.vaddr), out, size);
    }
  }
  return false;
}

bool UnwindObject::in_region(std::uint64_t offset, std::size_t size) const {
  for (const Region& region : regions_) {
    if (offset >= region.offset && offset - region.offset <= region.size &&
        size <= region.size - (offset - region.offset)) {
      return true;
    }
  }
  return false;
}

bool UnwindObject::read_cached(std::uint64_t offset, std::uint8_t* out, std::size_t size) const {
  std::lock_guard lock(blocks_mutex_);
  if (!blocks_) blocks_ = std::make_unique<Block[]>(kBlocks);
  while (size > 0) {
    std::uint64_t index = offset / kBlockBytes;
    Block& block = blocks_[index % kBlocks];
    if (block.index != index) {
      ssize_t n = pread(fd_, block.bytes, kBlockBytes, static_cast<off_t>(index * kBlockBytes));
      if (n <= 0) {
        block.index = ~std::uint64_t{0};
        return false;
      }
      block.index = index;
      block.size = static_cast<std::size_t>(n);
    }
    std::size_t at = static_cast<std::size_t>(offset - index * kBlockBytes);
    if (at >= block.size) return false;  // the file ends here
    std::size_t take = std::min(size, block.size - at);
    std::memcpy(out, block.bytes + at, take);
    out += take;
    offset += take;
    size -= take;
  }
  return true;
}

UnwindObject::SearchTable UnwindObject::search_span(std::uint64_t vaddr) const {
  const SearchTable& table = *search_table_;
  const std::int64_t relative = static_cast<std::int64_t>(vaddr - table.header_vaddr);
  // The last span starting at or before `vaddr` (the first when none does:
  // the search then finds nothing, as it would in the whole table).
  auto after = std::upper_bound(search_index_.begin(), search_index_.end(), relative,
                                [](std::int64_t value, std::int32_t start) { return value < start; });
  const std::uint64_t span = after == search_index_.begin() ? 0 : after - search_index_.begin() - 1;
  const std::uint64_t first = span * kSearchSpan;
  return SearchTable{table.header_vaddr, table.table_vaddr + first * 8,
                     std::min(kSearchSpan, table.entries - first)};
}

std::optional<std::uint64_t> UnwindObject::load_bias(std::uint64_t map_start,
                                                     std::uint64_t map_offset) const {
  // The kernel maps a segment from its page-aligned file offset, so a mapping
  // may begin up to a page before p_offset (lld packs segments that way);
  // later segments start later in the file, so the last match is the one.
  constexpr std::uint64_t kPage = 4096;
  const Segment* match = nullptr;
  for (const Segment& segment : segments_) {
    if (map_offset >= (segment.offset & ~(kPage - 1)) &&
        map_offset < segment.offset + std::max<std::uint64_t>(segment.filesz, 1)) {
      match = &segment;
    }
  }
  if (!match) return std::nullopt;
  return map_start - (map_offset + (match->vaddr - match->offset));
}

void UnwindObject::add_signal_returns(const std::uint8_t* bytes, std::size_t size,
                                      std::uint64_t offset, std::size_t limit) const {
  // memmem skips through code (x86 code is full of the first byte, 0x48).
  const std::uint8_t* end = bytes + size;
  for (const std::uint8_t* at = bytes; at < end;) {
    const void* found = memmem(at, static_cast<std::size_t>(end - at), kSignalReturn.data(),
                               kSignalReturn.size());
    if (!found) break;
    at = static_cast<const std::uint8_t*>(found);
    if (static_cast<std::size_t>(at - bytes) >= limit) break;
    signal_returns_.push_back(offset + static_cast<std::uint64_t>(at - bytes));
    ++at;
  }
}

void UnwindObject::find_signal_returns() const {
  // Read in pieces: the file is not kept mapped (a file truncated in place
  // gives a short read, not SIGBUS). Each piece overlaps the next by a
  // trampoline's length less one, so none is missed at a piece's end.
  constexpr std::size_t kPiece = 1 << 20;
  constexpr std::size_t kOverlap = kSignalReturn.size() - 1;
  std::vector<std::uint8_t> buffer;
  for (const Region& code : code_) {
    if (data_) {  // [vdso]: the agent's own image
      if (code.offset <= size_ && code.size <= size_ - code.offset) {
        add_signal_returns(data_ + code.offset, code.size, code.offset, code.size);
      }
      continue;
    }
    if (fd_ < 0) break;
    buffer.resize(kPiece + kOverlap);
    for (std::uint64_t done = 0; done < code.size; done += kPiece) {
      std::size_t want = static_cast<std::size_t>(
          std::min<std::uint64_t>(kPiece + kOverlap, code.size - done));
      ssize_t n = pread(fd_, buffer.data(), want, static_cast<off_t>(code.offset + done));
      if (n <= 0) break;
      add_signal_returns(buffer.data(), static_cast<std::size_t>(n), code.offset + done, kPiece);
      if (static_cast<std::size_t>(n) < want) break;  // the file ends here
    }
  }
  std::sort(signal_returns_.begin(), signal_returns_.end());
  signal_returns_.erase(std::unique(signal_returns_.begin(), signal_returns_.end()),
                        signal_returns_.end());
}

Status UnwindObject::parse(const std::string& name) {
  elf_version(EV_CURRENT);
  std::unique_ptr<Elf, ElfCloser> elf(
      elf_memory(reinterpret_cast<char*>(const_cast<std::uint8_t*>(data_)), size_));
  if (!elf || elf_kind(elf.get()) != ELF_K_ELF) return Status::error(name + ": not an ELF file");
  GElf_Ehdr ehdr;
  if (!gelf_getehdr(elf.get(), &ehdr)) return Status::error(name + ": bad ELF header");
  if (ehdr.e_machine != EM_X86_64) return Status::error(name + ": not an x86-64 object");

  std::size_t phnum = 0;
  if (elf_getphdrnum(elf.get(), &phnum) != 0) return Status::error(name + ": bad program headers");
  for (std::size_t i = 0; i < phnum; ++i) {
    GElf_Phdr phdr;
    if (gelf_getphdr(elf.get(), static_cast<int>(i), &phdr) && phdr.p_type == PT_LOAD) {
      segments_.push_back({phdr.p_vaddr, phdr.p_offset, phdr.p_filesz});
      if (phdr.p_flags & PF_X) code_.push_back({phdr.p_offset, phdr.p_filesz});
    }
  }

  std::size_t shstrndx = 0;
  if (elf_getshdrstrndx(elf.get(), &shstrndx) != 0)
    return Status::error(name + ": no section names");
  for (Elf_Scn* scn = elf_nextscn(elf.get(), nullptr); scn; scn = elf_nextscn(elf.get(), scn)) {
    GElf_Shdr shdr;
    if (!gelf_getshdr(scn, &shdr) || shdr.sh_type == SHT_NOBITS) continue;
    const char* section = elf_strptr(elf.get(), shstrndx, shdr.sh_name);
    if (!section) continue;
    if (shdr.sh_offset > size_ || shdr.sh_size > size_ - shdr.sh_offset) continue;
    std::span<const std::uint8_t> bytes(data_ + shdr.sh_offset, shdr.sh_size);
    std::string_view which(section);
    if (which == ".note.gnu.build-id" && bytes.size() >= 16) {
      std::uint32_t namesz, descsz, type;
      std::memcpy(&namesz, bytes.data(), 4);
      std::memcpy(&descsz, bytes.data() + 4, 4);
      std::memcpy(&type, bytes.data() + 8, 4);
      std::size_t desc = 12 + ((namesz + 3) & ~3u);
      if (type == NT_GNU_BUILD_ID && desc + descsz <= bytes.size()) {
        build_id_ = hex(bytes.data() + desc, descsz);
      }
    } else if (which == ".eh_frame_hdr" && bytes.size() >= 12 && bytes[0] == 1 &&
               bytes[2] == kUdata4 && bytes[3] == kDatarelSdata4) {
      std::uint32_t count;
      std::memcpy(&count, bytes.data() + 8, 4);
      // The eh_frame pointer is 4 bytes in every encoding ld and lld emit.
      if ((bytes[1] & 0x0f) == 0x0b || (bytes[1] & 0x0f) == 0x03) {
        if (12 + std::uint64_t{count} * 8 <= bytes.size()) {
          search_table_ = SearchTable{shdr.sh_addr, shdr.sh_addr + 12, count};
          regions_.push_back({shdr.sh_offset, shdr.sh_size});
          search_index_.reserve((count + kSearchSpan - 1) / kSearchSpan);
          for (std::uint64_t entry = 0; entry < count; entry += kSearchSpan) {
            std::int32_t start;
            std::memcpy(&start, bytes.data() + 12 + entry * 8, 4);
            search_index_.push_back(start);
          }
        }
      }
    } else if (which == ".eh_frame") {
      has_eh_frame_ = true;
      regions_.push_back({shdr.sh_offset, shdr.sh_size});
      // A malformed tail leaves what was read: the verdict needs a share.
      (void)scan_eh_frame(bytes, shdr.sh_addr, frame_pointers_);
    }
  }
  return Status::ok();
}

}  // namespace ember::native

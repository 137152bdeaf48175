#include "image.hpp"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace ember::cpython {

Image::~Image() {
  if (fd_ >= 0) ::close(fd_);
}

Status Image::open(const std::string& path, const std::string& name,
                   const ElfReadOptions& options) {
  name_ = name;
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) return Status::error("cannot open " + name + ": " + std::strerror(errno));
  if (Status s = ElfFile::open_fd(fd_, name, elf_, options); !s) return s;
  return check_size();
}

// libelf reads what it can of a truncated file; a probe must not take a
// cut-off interpreter for "not CPython" (its symbols are what went missing).
Status Image::check_size() const {
  struct stat st {};
  if (::fstat(fd_, &st) != 0)
    return Status::error("cannot stat " + name_ + ": " + std::strerror(errno));
  auto size = static_cast<std::uint64_t>(st.st_size);
  Elf64_Ehdr header{};
  if (Status s = read_file(0, std::as_writable_bytes(std::span(&header, 1))); !s) return s;
  std::uint64_t sections_end = 0;
  if (header.e_ident[EI_CLASS] == ELFCLASS64) {
    sections_end = header.e_shoff + std::uint64_t{header.e_shnum} * header.e_shentsize;
  } else {
    Elf32_Ehdr header32{};
    std::memcpy(&header32, &header, sizeof header32);
    sections_end = header32.e_shoff + std::uint64_t{header32.e_shnum} * header32.e_shentsize;
  }
  std::uint64_t end = sections_end;
  for (const ElfLoadSegment& segment : elf_.load_segments()) {
    end = std::max(end, segment.offset + segment.filesz);
  }
  if (end > size) {
    return Status::error(name_ + " is truncated: its headers describe " + std::to_string(end) +
                         " bytes, the file has " + std::to_string(size));
  }
  return Status::ok();
}

Status Image::read_file(std::uint64_t offset, std::span<std::byte> out) const {
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n =
        ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::error("cannot read " + name_ + ": " + std::strerror(errno));
    if (n == 0)
      return Status::error(name_ + " is truncated (wanted bytes at file offset " +
                           std::to_string(offset + done) + ")");
    done += static_cast<std::size_t>(n);
  }
  return Status::ok();
}

Status Image::read(std::uint64_t vaddr, std::span<std::byte> out) const {
  for (const ElfLoadSegment& segment : elf_.load_segments()) {
    if (vaddr < segment.vaddr || vaddr - segment.vaddr >= segment.filesz) continue;
    if (out.size() > segment.filesz - (vaddr - segment.vaddr)) break;
    return read_file(segment.offset + (vaddr - segment.vaddr), out);
  }
  return Status::error(name_ + " holds no file bytes at vaddr 0x" + [&] {
    char text[32];
    std::snprintf(text, sizeof text, "%llx", static_cast<unsigned long long>(vaddr));
    return std::string(text);
  }());
}

}  // namespace ember::cpython

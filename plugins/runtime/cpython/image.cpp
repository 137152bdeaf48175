#include "image.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace ember::cpython {

Image::~Image() {
  if (fd_ >= 0) ::close(fd_);
}

Status Image::open(const std::string& path, const std::string& name) {
  name_ = name;
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) return Status::error("cannot open " + name + ": " + std::strerror(errno));
  return ElfFile::open_fd(fd_, name, elf_);
}

Status Image::read_file(std::uint64_t offset, std::span<std::byte> out) const {
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(fd_, out.data() + done, out.size() - done,
                        static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::error("cannot read " + name_ + ": " + std::strerror(errno));
    if (n == 0) return Status::error(name_ + " is truncated (wanted bytes at file offset " +
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

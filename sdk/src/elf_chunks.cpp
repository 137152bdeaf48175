#include "elf_chunks.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ember::elf_chunks {

bool pread_whole(int fd, void* buffer, std::size_t size, std::uint64_t offset) {
  auto* bytes = static_cast<char*>(buffer);
  while (size > 0) {
    ssize_t got = ::pread(fd, bytes, size, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    bytes += got;
    size -= static_cast<std::size_t>(got);
    offset += static_cast<std::uint64_t>(got);
  }
  return true;
}

SymbolChunks::SymbolChunks(Elf* elf, int fd, std::uint64_t offset, std::uint64_t size)
    : fd_(fd), at_(offset), end_(offset + size), elf_class_(gelf_getclass(elf)), elf_(elf) {
  const char* ident = elf_getident(elf, nullptr);
  encoding_ = ident ? static_cast<unsigned char>(ident[EI_DATA]) : ELFDATANONE;
  entry_size_ = gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT);
  if (entry_size_ == 0 || (elf_class_ != ELFCLASS32 && elf_class_ != ELFCLASS64)) {
    failed_ = true;
    return;
  }
  std::size_t bytes = std::max<std::size_t>(kChunkBytes / entry_size_, 1) * entry_size_;
  raw_.resize(bytes);
  converted_.resize(bytes);
}

bool SymbolChunks::load() {
  if (failed_ || at_ >= end_) return false;
  std::size_t bytes = static_cast<std::size_t>(std::min<std::uint64_t>(raw_.size(), end_ - at_));
  bytes -= bytes % entry_size_;
  if (bytes == 0 || !pread_whole(fd_, raw_.data(), bytes, at_)) {
    failed_ = true;
    return false;
  }
  Elf_Data source{};
  source.d_buf = raw_.data();
  source.d_type = ELF_T_SYM;
  source.d_size = bytes;
  source.d_version = EV_CURRENT;
  Elf_Data target{};
  target.d_buf = converted_.data();
  target.d_size = converted_.size();
  target.d_version = EV_CURRENT;
  if (!gelf_xlatetom(elf_, &target, &source, encoding_)) {
    failed_ = true;
    return false;
  }
  at_ += bytes;
  entries_ = bytes / entry_size_;
  next_ = 0;
  return true;
}

bool SymbolChunks::next(GElf_Sym& out) {
  if (next_ == entries_ && !load()) return false;
  const unsigned char* entry = converted_.data() + next_ * entry_size_;
  ++next_;
  if (elf_class_ == ELFCLASS64) {
    Elf64_Sym sym;
    std::memcpy(&sym, entry, sizeof(sym));
    out = sym;
  } else {
    Elf32_Sym sym;
    std::memcpy(&sym, entry, sizeof(sym));
    out.st_name = sym.st_name;
    out.st_info = sym.st_info;
    out.st_other = sym.st_other;
    out.st_shndx = sym.st_shndx;
    out.st_value = sym.st_value;
    out.st_size = sym.st_size;
  }
  return true;
}

StringChunks::StringChunks(int fd, std::uint64_t offset, std::uint64_t size)
    : fd_(fd), offset_(offset), size_(size) {}

bool StringChunks::cover(std::uint64_t at) {
  if (at >= chunk_at_ && at - chunk_at_ < chunk_length_) return true;
  if (chunk_.empty()) chunk_.resize(kChunkBytes);
  std::size_t bytes = static_cast<std::size_t>(std::min<std::uint64_t>(chunk_.size(), size_ - at));
  chunk_length_ = 0;
  if (!pread_whole(fd_, chunk_.data(), bytes, offset_ + at)) return false;
  chunk_at_ = at;
  chunk_length_ = bytes;
  return true;
}

StringChunks::Read StringChunks::string_at(std::uint64_t at, bool whole, std::string& out) {
  out.clear();
  if (at >= size_) return Read::invalid;
  if (!whole && last_byte_ < 0) {
    char last = 0;
    if (!pread_whole(fd_, &last, 1, offset_ + size_ - 1)) return Read::failed;
    last_byte_ = static_cast<unsigned char>(last);
  }
  for (std::uint64_t pos = at; pos < size_;) {
    if (!cover(pos)) return Read::failed;
    const char* begin = chunk_.data() + (pos - chunk_at_);
    std::size_t available = chunk_length_ - static_cast<std::size_t>(pos - chunk_at_);
    // A table ending in NUL terminates every string in it: one byte says
    // whether this one is empty.
    if (!whole && (*begin == '\0' || last_byte_ == 0)) {
      if (*begin != '\0') out.push_back(*begin);
      return Read::ok;
    }
    const void* nul = std::memchr(begin, '\0', available);
    std::size_t length =
        nul ? static_cast<std::size_t>(static_cast<const char*>(nul) - begin) : available;
    out.append(begin, length);
    if (nul) return Read::ok;
    pos += available;
  }
  out.clear();
  return Read::invalid;
}

}  // namespace ember::elf_chunks

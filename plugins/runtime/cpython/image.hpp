// One ELF file opened for probing: its parsed ElfFile plus reads of the
// bytes the file holds at a link-time vaddr (initialised data and .rodata;
// .bss has no bytes in the file).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "ember/elf_file.hpp"
#include "ember/status.hpp"

namespace ember::cpython {

class Image {
 public:
  Image() = default;
  ~Image();
  Image(const Image&) = delete;
  Image& operator=(const Image&) = delete;

  // Opens and parses `path` (with data symbols, or what `options` keeps);
  // `name` is used in messages.
  Status open(const std::string& path, const std::string& name,
              const ElfReadOptions& options = {});

  const ElfFile& elf() const { return elf_; }
  const std::string& name() const { return name_; }

  // Copies out.size() bytes stored in the file at link-time `vaddr`. An error
  // when the range is not wholly backed by one PT_LOAD segment's file bytes,
  // or the file is shorter than its headers say.
  Status read(std::uint64_t vaddr, std::span<std::byte> out) const;
  // The file range [offset, offset + out.size()).
  Status read_file(std::uint64_t offset, std::span<std::byte> out) const;

 private:
  Status check_size() const;

  int fd_ = -1;
  std::string name_;
  ElfFile elf_;
};

}  // namespace ember::cpython

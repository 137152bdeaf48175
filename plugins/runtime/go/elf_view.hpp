// One ELF64 little-endian file mapped read-only, for finding a Go binary's
// tables: its PT_LOAD segments (link-time vaddr -> file bytes) and, when the
// file still has section headers, its sections by name. Every read is
// bounds-checked against the file, so a truncated or corrupt file is an error
// or an empty span, never a read outside the mapping.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ember/status.hpp"

namespace ember::go {

struct ElfSegment {
  std::uint64_t vaddr = 0;
  std::uint64_t memsz = 0;
  std::uint64_t offset = 0;
  std::uint64_t filesz = 0;
  bool executable = false;
  bool writable = false;
};

// The PT_TLS segment: the size and alignment of the object's thread-local block.
struct ElfTls {
  std::uint64_t memsz = 0;
  std::uint64_t align = 0;
};

struct ElfSection {
  std::string name;
  std::uint64_t vaddr = 0;
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
  bool has_bytes = false;  // not SHT_NOBITS
};

// The file bytes behind link-time [vaddr, vaddr + size) of `bytes`: empty
// unless one of `segments` holds all of them in the file.
std::span<const std::uint8_t> bytes_at_vaddr(std::span<const std::uint8_t> bytes,
                                             const std::vector<ElfSegment>& segments,
                                             std::uint64_t vaddr, std::uint64_t size);

class ElfView {
 public:
  ElfView() = default;
  ~ElfView();
  ElfView(const ElfView&) = delete;
  ElfView& operator=(const ElfView&) = delete;
  ElfView(ElfView&& other) noexcept;
  ElfView& operator=(ElfView&& other) noexcept;

  // Maps `path`; an error for anything but a readable ELF64 little-endian file.
  static Status open(const std::string& path, ElfView& out);
  // Reads an image already in memory (tests); `bytes` must outlive the view.
  static Status from_memory(std::span<const std::uint8_t> bytes, ElfView& out);

  std::span<const std::uint8_t> bytes() const { return bytes_; }
  bool is_shared_object() const { return shared_object_; }  // ET_DYN (PIE or library)
  const std::vector<ElfSegment>& segments() const { return segments_; }
  const std::vector<ElfSection>& sections() const { return sections_; }
  const std::optional<ElfTls>& tls() const { return tls_; }  // PT_TLS, when there is one
  const ElfSection* section(std::string_view name) const;

  std::span<const std::uint8_t> at_vaddr(std::uint64_t vaddr, std::uint64_t size) const {
    return bytes_at_vaddr(bytes_, segments_, vaddr, size);
  }
  // The file's mapping (null for a view of memory), for giving its pages back.
  const void* mapping() const { return mapping_; }
  std::size_t mapping_size() const { return mapping_size_; }
  // The link-time vaddr of a file offset, when a PT_LOAD segment maps it.
  std::optional<std::uint64_t> vaddr_of_offset(std::uint64_t offset) const;

 private:
  Status parse();
  void unmap();

  void* mapping_ = nullptr;
  std::size_t mapping_size_ = 0;
  std::span<const std::uint8_t> bytes_;
  bool shared_object_ = false;
  std::vector<ElfSegment> segments_;
  std::vector<ElfSection> sections_;
  std::optional<ElfTls> tls_;
};

}  // namespace ember::go

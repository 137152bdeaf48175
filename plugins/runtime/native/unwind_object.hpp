// What the DWARF unwinder needs from one ELF object, shared by every process
// that maps it: an open descriptor that its .eh_frame_hdr and .eh_frame are
// read from on demand (through a few small cached blocks: a lookup reads a
// handful of words, and a copy of every touched object's tables was most of
// the agent's heap on a busy host), where the .eh_frame_hdr search table
// is, and the frame-pointer scan of its .eh_frame. Nothing stays mapped: a
// file truncated in place later gives failed reads, not SIGBUS.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cfi_rule.hpp"
#include "cfi_scan.hpp"
#include "ember/status.hpp"

namespace ember::native {

class UnwindObject {
 public:
  // Reads `fd` (not closed; a duplicate is kept); `name` is for messages.
  static Status open(int fd, const std::string& name, std::unique_ptr<UnwindObject>& out);
  // The agent's own [vdso]: every process of this kernel maps the same
  // image, so its CFI (clock_gettime, gettimeofday) serves them all.
  // nullptr when there is none.
  static std::shared_ptr<const UnwindObject> own_vdso();
  ~UnwindObject();
  UnwindObject(const UnwindObject&) = delete;
  UnwindObject& operator=(const UnwindObject&) = delete;

  const std::string& build_id() const { return build_id_; }

  // Copies `size` bytes at file offset `offset`; false beyond the file.
  bool read(std::uint64_t offset, void* out, std::size_t size) const;
  // Copies `size` bytes at link-time address `vaddr`, from the PT_LOAD
  // segment's file contents holding them all; false when none does.
  bool read_vaddr(std::uint64_t vaddr, void* out, std::size_t size) const;

  // The bias of a mapping of this file at `map_start` with file offset
  // `map_offset` (runtime address - link-time vaddr); nullopt when no
  // PT_LOAD segment holds that offset.
  std::optional<std::uint64_t> load_bias(std::uint64_t map_start, std::uint64_t map_offset) const;

  // .eh_frame_hdr's binary search table, as link-time vaddrs; nullopt when
  // the object has none (or one libunwind cannot search).
  struct SearchTable {
    std::uint64_t header_vaddr = 0;  // .eh_frame_hdr: the table's base (datarel)
    std::uint64_t table_vaddr = 0;
    std::uint64_t entries = 0;
  };
  const std::optional<SearchTable>& search_table() const { return search_table_; }

  // The part of the search table that holds the entry for link-time
  // address `vaddr`, if any: at most kSearchSpan entries, picked from an
  // index of every kSearchSpan-th entry's start made at open. libunwind's
  // binary search of it reads a block or two of the file, not one per probe.
  // Requires search_table().
  SearchTable search_span(std::uint64_t vaddr) const;
  static constexpr std::uint64_t kSearchSpan = 64;

  // Whether the code at file offset `offset` is a signal return trampoline,
  // `mov $15, %rax; syscall` (rt_sigreturn): found once, by a scan of the
  // executable segments at the first question (not at open: a large
  // program's code is read only if a stack goes through it), so asking
  // about every frame of every sample reads nothing after that.
  bool signal_return_at(std::uint64_t offset) const {
    std::call_once(signal_returns_found_, [this] { find_signal_returns(); });
    return std::binary_search(signal_returns_.begin(), signal_returns_.end(), offset);
  }

  // The CFI rules found at its pcs (cfi_rule.hpp).
  const CfiRuleCache& cfi_rules() const { return cfi_rules_; }

  // Which functions keep frame pointers; empty without .eh_frame.
  const FramePointerScan& frame_pointers() const { return frame_pointers_; }
  bool has_eh_frame() const { return has_eh_frame_; }

 private:
  UnwindObject() = default;
  Status parse(const std::string& name);
  // Fills signal_returns_ from the executable segments.
  void find_signal_returns() const;
  // Adds the trampolines in `bytes`, which are the file's from `offset`,
  // that start before `offset + limit`.
  void add_signal_returns(const std::uint8_t* bytes, std::size_t size, std::uint64_t offset,
                          std::size_t limit) const;

  struct Segment {
    std::uint64_t vaddr, offset, filesz;
  };

  struct Region {  // .eh_frame_hdr or .eh_frame, in the file
    std::uint64_t offset, size;
  };
  // A block of a region as last read from the file; direct-mapped by index.
  static constexpr std::size_t kBlockBytes = 256;
  static constexpr std::size_t kBlocks = 8;
  struct Block {
    std::uint64_t index = ~std::uint64_t{0};  // file offset / kBlockBytes
    std::size_t size = 0;                     // bytes read (short at the file's end)
    std::uint8_t bytes[kBlockBytes];
  };
  bool in_region(std::uint64_t offset, std::size_t size) const;
  bool read_cached(std::uint64_t offset, std::uint8_t* out, std::size_t size) const;

  const std::uint8_t* data_ = nullptr;  // while parsing; for [vdso], always
  std::size_t size_ = 0;
  int fd_ = -1;
  std::vector<Region> regions_;
  mutable std::mutex blocks_mutex_;  // processes are unwound on several threads
  mutable std::unique_ptr<Block[]> blocks_;  // on the first read
  std::string build_id_;
  std::vector<Segment> segments_;
  std::optional<SearchTable> search_table_;
  std::vector<std::int32_t> search_index_;  // every kSearchSpan-th entry's start, datarel
  std::vector<Region> code_;  // the executable segments, in the file
  mutable std::once_flag signal_returns_found_;
  mutable std::vector<std::uint64_t> signal_returns_;  // file offsets, sorted
  FramePointerScan frame_pointers_;
  CfiRuleCache cfi_rules_;
  bool has_eh_frame_ = false;
};

}  // namespace ember::native

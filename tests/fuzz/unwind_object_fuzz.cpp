// libFuzzer target for what the DWARF unwinder reads from an ELF object
// before libunwind sees it: the program headers, .eh_frame_hdr's search
// table and the frame-pointer scan of .eh_frame (cfi_scan). Any binary a
// profiled process maps is opened by the root agent, so a local user can
// hand it any bytes: a damaged object must be an error or an object with
// less in it, never a crash or a read outside the file.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "unwind_object.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  int fd = memfd_create("unwind-object-fuzz", MFD_CLOEXEC);
  if (fd < 0) __builtin_trap();
  for (std::size_t done = 0; done < size;) {
    ssize_t n = write(fd, data + done, size - done);
    if (n <= 0) __builtin_trap();
    done += static_cast<std::size_t>(n);
  }
  std::unique_ptr<ember::native::UnwindObject> object;
  if (ember::native::UnwindObject::open(fd, "fuzz", object)) {
    const ember::native::FramePointerScan& scan = object->frame_pointers();
    if (scan.rbp_frames.size() > scan.fdes) __builtin_trap();
    for (const ember::native::CodeRange& range : scan.rbp_frames) {
      if (!scan.rbp_frame_at(range.start) && range.end > range.start) __builtin_trap();
    }
    if (const auto& table = object->search_table()) {
      std::uint64_t word = 0;
      (void)object->read(table->table_vaddr, &word, sizeof word);
    }
    (void)object->load_bias(0x7f0000000000, 0);
  }
  close(fd);
  return 0;
}

// libFuzzer target for unwinding through a hostile object: the input is an
// ELF file "mapped" into a synthetic process, and a stack snapshot built from
// the same bytes is unwound through it by the DWARF unwinder, so libunwind
// parses the object's CIEs, FDEs and CFA programs as the agent would. A local
// user controls both the binaries a process maps and its stack: whatever
// they hold, an unwind must end (failed or truncated), never crash, hang or
// read outside the file and the snapshot.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "dwarf_unwinder.hpp"
#include "ember/testing/fake_host.hpp"

namespace {

constexpr std::uint64_t kMapStart = 0x400000;
constexpr std::uint64_t kStackTop = 0x7ffd00000000;
constexpr std::size_t kMaxFrames = 64;

std::uint64_t word_at(const std::uint8_t* data, std::size_t size, std::size_t index) {
  std::uint64_t word = 0;
  if (size >= 8) std::memcpy(&word, data + (index * 8) % (size - 7), 8);
  return word;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ember::native;
  int fd = memfd_create("unwind-cfi-fuzz", MFD_CLOEXEC);
  if (fd < 0) __builtin_trap();
  for (std::size_t done = 0; done < size;) {
    ssize_t n = write(fd, data + done, size - done);
    if (n <= 0) __builtin_trap();
    done += static_cast<std::size_t>(n);
  }
  ember::Mapping mapping;
  mapping.start = kMapStart;
  mapping.end = kMapStart + ((std::max<std::size_t>(size, 1) + 4095) & ~std::size_t{4095});
  mapping.readable = mapping.executable = true;
  mapping.path = "/proc/self/fd/" + std::to_string(fd);

  ember::testkit::FakeHost host;  // per input: it keeps what it is told to log
  DwarfUnwinder unwinder(static_cast<std::uint32_t>(getpid()), "",
                         std::make_shared<UnwindObjectCache>(host), host);
  unwinder.set_maps(std::vector<ember::Mapping>{mapping});

  // Where to start: the first and last functions the search table lists
  // (so libunwind reaches their FDEs), and one address the input picks.
  std::vector<std::uint64_t> starts = {kMapStart + word_at(data, size, 0) % (mapping.end - kMapStart)};
  std::uint64_t bias = 0;
  if (const UnwindObject* object = unwinder.object_at(kMapStart, &bias)) {
    if (const auto& table = object->search_table(); table && table->entries > 0) {
      for (std::uint64_t entry : {std::uint64_t{0}, table->entries - 1}) {
        std::uint64_t pair = 0;
        if (unwinder.read_word(bias + table->table_vaddr + entry * 8, pair)) {
          std::int32_t location = static_cast<std::int32_t>(pair & 0xffffffff);
          starts.push_back(bias + table->header_vaddr + static_cast<std::uint64_t>(location) + 1);
        }
      }
    }
  }

  // The stack: the input's words, every other one moved into the mapping so
  // that return addresses land on code with CFI.
  static auto sample = std::make_unique<ember_sample>();
  std::memset(sample.get(), 0, offsetof(ember_sample, stack_snapshot));
  std::size_t words = std::min<std::size_t>(size / 8, EMBER_MAX_STACK_SNAPSHOT / 8);
  for (std::size_t i = 0; i < words; ++i) {
    std::uint64_t word = word_at(data, size, i);
    if (i % 2) word = kMapStart + word % (mapping.end - kMapStart);
    std::memcpy(sample->stack_snapshot + i * 8, &word, 8);
  }
  sample->snapshot_size = static_cast<std::uint32_t>(words * 8);
  sample->user_sp = kStackTop - sample->snapshot_size;
  sample->user_bp = sample->user_sp + (word_at(data, size, 1) % (sample->snapshot_size + 1));
  sample->user_bx = sample->user_sp + (word_at(data, size, 2) % (sample->snapshot_size + 1));

  std::vector<ember::native::UnwoundFrame> frames;
  for (std::uint64_t ip : starts) {
    sample->user_ip = ip;
    frames.clear();
    unwinder.unwind(*sample, kMaxFrames, frames);
    if (frames.size() > kMaxFrames) __builtin_trap();
  }
  close(fd);
  return 0;
}

#include "ember/elf_function_table.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

namespace ember {

// The descriptor is kept, not the path reopened: a binary deleted or
// replaced under a running process (an upgrade) has no path left to its
// bytes once that process is gone, and a short-lived process' samples are
// named after it exited. It costs one descriptor per distinct object (shared
// by every process mapping it, closed with the last), as the unwinder's.
struct ElfFunctionTable::File {
  File(int fd, std::uint64_t size, std::int64_t mtime_ns)
      : fd(fd), size(size), mtime_ns(mtime_ns) {}
  ~File() { ::close(fd); }
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  // Written in place since it was read (cp over it, a truncation): its
  // string tables may hold other names now. Once seen, for good.
  bool changed() const {
    if (stale.load(std::memory_order_relaxed)) return true;
    struct stat st {};
    if (::fstat(fd, &st) == 0 && static_cast<std::uint64_t>(st.st_size) == size &&
        static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec ==
            mtime_ns) {
      return false;
    }
    stale.store(true, std::memory_order_relaxed);
    return true;
  }

  int fd;
  std::uint64_t size;
  std::int64_t mtime_ns;
  mutable std::atomic<bool> stale{false};
};

std::shared_ptr<const ElfFunctionTable::File> ElfFunctionTable::keep_file(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return nullptr;
  int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return nullptr;
  return std::make_shared<const File>(
      copy, static_cast<std::uint64_t>(st.st_size),
      static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec);
}

ElfSymbol ElfFunctionTable::function(std::size_t index) const {
  const Entry& entry = functions_[index];
  return ElfSymbol{{}, base_ + entry.offset, entry.size, SymbolKind::function};
}

std::optional<std::size_t> ElfFunctionTable::find_function_index(std::uint64_t vaddr) const {
  if (functions_.empty() || vaddr < base_) return std::nullopt;
  std::uint64_t offset = vaddr - base_;
  auto after = std::upper_bound(functions_.begin(), functions_.end(), offset,
                                [](std::uint64_t a, const Entry& e) { return a < e.offset; });
  if (after == functions_.begin()) return std::nullopt;
  auto candidate = std::prev(after);
  if (offset - candidate->offset >= candidate->size) return std::nullopt;
  return static_cast<std::size_t>(candidate - functions_.begin());
}

std::string ElfFunctionTable::name(std::size_t index) const {
  const Entry& entry = functions_[index];
  if (!file_) return std::string(names_.data() + entry.name);
  return read_name(entry);
}

std::string ElfFunctionTable::read_name(const Entry& entry) const {
  const StringTable& table = tables_[(entry.name & kTableBit) ? 1 : 0];
  // Read in pieces up to the NUL: most names fit the first, a long C++ name
  // takes a few.
  std::string name;
  char piece[256];
  if (file_->stale.load(std::memory_order_relaxed)) return {};
  std::uint64_t at = entry.name & ~kTableBit;
  while (at < table.size) {
    std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(sizeof(piece), table.size - at));
    ssize_t got = ::pread(file_->fd, piece, want, static_cast<off_t>(table.offset + at));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return {};
    auto length = static_cast<std::size_t>(got);
    const char* end = static_cast<const char*>(std::memchr(piece, '\0', length));
    name.append(piece, end ? static_cast<std::size_t>(end - piece) : length);
    if (end) break;
    at += length;
  }
  // Checked after the read: a change before or while it ran shows now.
  if (at >= table.size || file_->changed()) return {};
  return name;
}

std::size_t ElfFunctionTable::memory_bytes() const {
  return sizeof(*this) + build_id_.capacity() + functions_.capacity() * sizeof(Entry) +
         names_.capacity() + (file_ ? sizeof(File) : 0);
}

}  // namespace ember

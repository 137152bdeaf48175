// A kernel symbol table as bytes (serialize) and a saved one read back and
// used from its file (read_saved, find_in_file). The bytes, after the magic:
// restricted (u8), the image's text ranges (u32 count, u64 start and end
// each), the modules (u32 count, u32 length + name each, the image's "" first),
// padding to 8 bytes, the symbols (u64 count, then address u64, name offset
// u32, module index u32 each, by address), the names (u64 size, NUL-terminated
// names). kernel_symbols_cache.cpp writes the file around them.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>

#include "kernel_symbols.hpp"

namespace ember::native {
namespace {

constexpr std::string_view kSymbolsMagic = "EMBERKS2";

// Modules that are not modules: symbols the kernel adds and drops at run time.
bool is_transient_module(std::string_view module) {
  return module == "bpf" || module.starts_with("__builtin__");
}

template <typename T>
void put(std::string& out, const T& value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof(value));
}

// pread until `size` bytes, the end of the file or an error: the bytes read.
std::size_t read_saved_bytes(int fd, void* out, std::size_t size, std::uint64_t offset) {
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd, static_cast<char*>(out) + done, size - done,
                        static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  return done;
}

// Reads [at, end) of a file front to back through a buffer: a saved table is
// checked whole once without being held whole.
class SavedTableCursor {
 public:
  SavedTableCursor(int fd, std::uint64_t at, std::uint64_t end)
      : fd_(fd), at_(at), end_(std::max(at, end)) {}

  std::uint64_t at() const { return at_; }
  std::uint64_t left() const { return end_ - at_; }

  // False when fewer than `size` bytes are left (or they cannot be read).
  bool read(void* out, std::size_t size) {
    if (size > left()) return false;
    auto* to = static_cast<char*>(out);
    while (size > 0) {
      if (at_ < buffer_at_ || at_ >= buffer_at_ + buffered_) {
        if (buffer_.empty()) buffer_.resize(kBufferBytes);
        std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(kBufferBytes, left()));
        buffered_ = read_saved_bytes(fd_, buffer_.data(), want, at_);
        buffer_at_ = at_;
        if (buffered_ == 0) return false;
      }
      std::size_t from = static_cast<std::size_t>(at_ - buffer_at_);
      std::size_t n = std::min(size, buffered_ - from);
      std::memcpy(to, buffer_.data() + from, n);
      to += n;
      size -= n;
      at_ += n;
    }
    return true;
  }

  template <typename T>
  bool take(T& value) {
    return read(&value, sizeof(value));
  }

  bool skip(std::uint64_t size) {
    if (size > left()) return false;
    at_ += size;
    return true;
  }

 private:
  static constexpr std::size_t kBufferBytes = 64 * 1024;
  int fd_;
  std::uint64_t at_;
  std::uint64_t end_;
  std::vector<char> buffer_;
  std::uint64_t buffer_at_ = 0;
  std::size_t buffered_ = 0;
};

}  // namespace

KernelSymbols::InFile::~InFile() {
  if (fd >= 0) ::close(fd);
}

bool KernelSymbols::serialize(const ByteSink& write) const {
  constexpr std::size_t kPieceBytes = 64 * 1024;
  std::vector<bool> transient(modules_.size());
  for (std::size_t i = 0; i < modules_.size(); ++i) transient[i] = is_transient_module(modules_[i]);
  std::string out(kSymbolsMagic);
  std::uint64_t written = 0;  // before `out`
  const auto pass_on = [&] {
    written += out.size();
    bool ok = write(out);
    out.clear();
    return ok;
  };
  put(out, static_cast<std::uint8_t>(restricted_));
  put(out, static_cast<std::uint32_t>(image_text_.size()));
  for (auto [start, end] : image_text_) {
    put(out, start);
    put(out, end);
  }
  put(out, static_cast<std::uint32_t>(modules_.size()));
  for (const std::string& module : modules_) {
    put(out, static_cast<std::uint32_t>(module.size()));
    out += module;
    if (out.size() >= kPieceBytes && !pass_on()) return false;
  }
  std::uint64_t kept = 0;
  for (const Symbol& symbol : symbols_) kept += !transient[symbol.module];
  out.append((8 - (written + out.size()) % 8) % 8, '\0');
  put(out, kept);
  for (const Symbol& symbol : symbols_) {
    if (transient[symbol.module]) continue;
    put(out, symbol.address);
    put(out, symbol.name);
    put(out, symbol.module);
    if (out.size() >= kPieceBytes && !pass_on()) return false;
  }
  put(out, static_cast<std::uint64_t>(names_.size()));
  return pass_on() && write(std::string_view(names_.data(), names_.size()));
}

Status KernelSymbols::read_saved(int fd, std::uint64_t offset, KernelSymbols& out) {
  off_t end = ::lseek(fd, 0, SEEK_END);
  if (end < 0) return Status::error(std::string("cannot read it: ") + std::strerror(errno));
  SavedTableCursor in(fd, offset, static_cast<std::uint64_t>(end));
  const auto cut_short = [] { return Status::error("it is cut short"); };
  char magic[kSymbolsMagic.size()];
  if (!in.read(magic, sizeof magic) || kSymbolsMagic != std::string_view(magic, sizeof magic)) {
    return Status::error("its table does not start with " + std::string(kSymbolsMagic));
  }
  KernelSymbols read;
  std::uint8_t restricted = 0;
  std::uint32_t ranges = 0;
  if (!in.take(restricted) || !in.take(ranges)) return cut_short();
  if (ranges > 2) return Status::error("it lists " + std::to_string(ranges) + " text ranges");
  for (std::uint32_t i = 0; i < ranges; ++i) {
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    if (!in.take(first) || !in.take(last)) return cut_short();
    read.image_text_.emplace_back(first, last);
  }
  std::uint32_t modules = 0;
  if (!in.take(modules)) return cut_short();
  if (modules == 0 || modules > in.left()) {
    return Status::error("it lists " + std::to_string(modules) + " modules");
  }
  read.restricted_ = restricted != 0;
  read.modules_.clear();
  for (std::uint32_t i = 0; i < modules; ++i) {
    std::uint32_t length = 0;
    if (!in.take(length) || length > in.left()) return cut_short();
    std::string& module = read.modules_.emplace_back(length, '\0');
    if (!in.read(module.data(), length)) return cut_short();
  }
  if (!in.skip((8 - (in.at() - offset) % 8) % 8)) return cut_short();
  std::uint64_t count = 0;
  if (!in.take(count)) return cut_short();
  if (count > in.left() / sizeof(Symbol)) return cut_short();
  auto file = std::make_unique<InFile>();
  file->symbols_at = in.at();
  file->count = count;
  file->index.reserve((count + kIndexStride - 1) / kIndexStride);
  if (!in.skip(count * sizeof(Symbol))) return cut_short();
  std::uint64_t names = 0;
  if (!in.take(names)) return cut_short();
  if (names != in.left()) {
    return Status::error("its names take " + std::to_string(in.left()) + " bytes, not the " +
                         std::to_string(names) + " it says");
  }
  file->names_at = in.at();
  file->names_size = names;
  char last = '\0';
  if (names > 0 && (read_saved_bytes(fd, &last, 1, file->names_at + names - 1) != 1 || last)) {
    return Status::error("its last name does not end");
  }
  // Every name offset inside the names, every module known and the addresses
  // in order: a damaged file must not make find() read anything else.
  SavedTableCursor symbols(fd, file->symbols_at, file->names_at);
  static_assert(sizeof(Symbol) == 16 && offsetof(Symbol, name) == 8 &&
                offsetof(Symbol, module) == 12);
  std::vector<Symbol> chunk(4096);
  std::uint64_t previous = 0;
  for (std::uint64_t first = 0; first < count; first += chunk.size()) {
    auto n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), count - first));
    if (!symbols.read(chunk.data(), n * sizeof(Symbol))) return cut_short();
    for (std::size_t k = 0; k < n; ++k) {
      const Symbol& symbol = chunk[k];
      std::uint64_t i = first + k;
      if (symbol.name >= names || symbol.module >= read.modules_.size() ||
          (i > 0 && symbol.address <= previous)) {
        return Status::error("its symbol " + std::to_string(i) + " is out of place");
      }
      if (i % kIndexStride == 0) file->index.push_back(symbol.address);
      previous = symbol.address;
    }
  }
  file->fd = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (file->fd < 0) return Status::error(std::string("cannot keep it open: ") + std::strerror(errno));
  read.file_ = std::move(file);
  out = std::move(read);
  return Status::ok();
}

std::optional<KernelSymbols::Found> KernelSymbols::find_in_file(std::uint64_t address) const {
  const InFile& file = *file_;
  auto block = std::upper_bound(file.index.begin(), file.index.end(), address);
  if (block == file.index.begin()) return std::nullopt;
  std::uint64_t first = static_cast<std::uint64_t>(block - file.index.begin() - 1) * kIndexStride;
  auto count = static_cast<std::size_t>(std::min<std::uint64_t>(kIndexStride, file.count - first));
  Symbol symbols[kIndexStride];
  std::size_t bytes = count * sizeof(Symbol);
  // Short only when the file was cut since it was checked: nothing is named.
  if (read_saved_bytes(file.fd, symbols, bytes, file.symbols_at + first * sizeof(Symbol)) != bytes) {
    return std::nullopt;
  }
  const Symbol* symbol = symbol_before(std::span<const Symbol>(symbols, count), address);
  if (!symbol || symbol->name >= file.names_size || symbol->module >= modules_.size()) {
    return std::nullopt;
  }
  // One read holds most names (kallsyms' are at most 512 bytes).
  Found found{std::string(), modules_[symbol->module], symbol->address};
  char chunk[128];
  for (std::uint64_t at = symbol->name; at < file.names_size;) {
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(sizeof chunk, file.names_size - at));
    std::size_t got = read_saved_bytes(file.fd, chunk, want, file.names_at + at);
    if (got == 0) return std::nullopt;
    const void* nul = std::memchr(chunk, '\0', got);
    if (nul) {
      found.name.append(chunk, static_cast<std::size_t>(static_cast<const char*>(nul) - chunk));
      return found;
    }
    found.name.append(chunk, got);
    at += got;
  }
  return std::nullopt;
}

}  // namespace ember::native

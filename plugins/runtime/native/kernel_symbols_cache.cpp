#include "kernel_symbols_cache.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <sstream>

#include "ember/text_file.hpp"

namespace ember::native {
namespace {

constexpr std::string_view kCacheMagic = "EMBERKC2";

Status write_all(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    ssize_t wrote = ::write(fd, bytes.data(), bytes.size());
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) return Status::error("cannot write " + path + ": " + std::strerror(errno));
    bytes.remove_prefix(static_cast<std::size_t>(wrote));
  }
  return Status::ok();
}

// An open file closed with its scope.
struct SavedFileDescriptor {
  int fd;
  ~SavedFileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
};

// The table starts 8-byte aligned, as its symbol array.
std::size_t header_size(std::size_t key_size) {
  std::size_t size = kCacheMagic.size() + sizeof(std::uint32_t) + key_size;
  return (size + 7) / 8 * 8;
}

}  // namespace

std::string saved_kernel_symbols_path(const std::string& cache_dir, const std::string& kallsyms) {
  if (cache_dir.empty()) return {};
  if (kallsyms == "/proc/kallsyms") return cache_dir + "/kernel-symbols";
  char name[48];
  std::snprintf(name, sizeof name, "/kernel-symbols-%016zx", std::hash<std::string>{}(kallsyms));
  return cache_dir + name;
}

Status kernel_symbols_key(const KernelSymbolsSources& sources, KernelSymbolsKey& key) {
  std::string boot_id;
  if (Status status = read_text_file(sources.boot_id, boot_id); !status) return status;
  if (boot_id.empty()) return Status::error(sources.boot_id + " is empty");
  std::ostringstream text;
  text << "boot " << boot_id << "source " << sources.kallsyms << '\n';
  // A file given in the config (a copy, a test) is known by its size and time.
  // (procfs files have times too, but they change with the inode cache, not the contents.)
  struct stat st {};
  if (!sources.kallsyms.starts_with("/proc/") && ::stat(sources.kallsyms.c_str(), &st) == 0 &&
      S_ISREG(st.st_mode)) {
    text << "file " << st.st_size << ' ' << st.st_mtim.tv_sec << '.' << st.st_mtim.tv_nsec << '\n';
  }
  key.modules.clear();
  std::string modules;
  if (read_text_file(sources.modules, modules)) {
    // "ext4 1081344 2 - Live 0xffffffffc0a00000": reference counts change
    // without moving code, so only name, size and address count.
    std::istringstream lines(modules);
    std::string line;
    while (std::getline(lines, line)) {
      std::istringstream fields(line);
      std::string name, size, uses, users, state, address;
      if (!(fields >> name >> size >> uses >> users >> state >> address)) continue;
      text << "module " << name << ' ' << size << ' ' << address << '\n';
      std::uint64_t start = std::strtoull(address.c_str(), nullptr, 16);
      std::uint64_t length = std::strtoull(size.c_str(), nullptr, 10);
      if (start != 0) key.modules.emplace_back(start, start + length);
    }
  }
  key.text = text.str();
  return Status::ok();
}

Status read_saved_kernel_symbols(const std::string& file, const std::string& key,
                                 KernelSymbols& out) {
  SavedFileDescriptor saved{::open(file.c_str(), O_RDONLY | O_CLOEXEC)};
  if (saved.fd < 0) return Status::error("cannot open " + file + ": " + std::strerror(errno));
  // The file is only ever replaced by rename, never rewritten in place: what
  // this descriptor reads stays one table.
  std::uint32_t length = 0;
  char head[kCacheMagic.size() + sizeof(length)];
  ssize_t got = ::pread(saved.fd, head, sizeof head, 0);
  if (got != static_cast<ssize_t>(sizeof head) || std::string_view(head, kCacheMagic.size()) != kCacheMagic) {
    return Status::error(file + " is not a saved kernel symbol table");
  }
  std::memcpy(&length, head + kCacheMagic.size(), sizeof(length));
  std::string saved_key(key.size(), '\0');
  if (length != key.size() ||
      ::pread(saved.fd, saved_key.data(), key.size(), sizeof head) !=
          static_cast<ssize_t>(key.size()) ||
      saved_key != key) {
    return Status::error(file + " was saved for another boot, set of modules or source");
  }
  if (Status status = KernelSymbols::read_saved(saved.fd, header_size(length), out); !status) {
    return Status::error(file + " is damaged: " + status.message());
  }
  return Status::ok();
}

Status save_kernel_symbols(const std::string& file, const std::string& key,
                           const KernelSymbols& symbols) {
  std::error_code error;
  std::filesystem::path path(file);
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), error);
  if (error) {
    return Status::error("cannot create " + path.parent_path().string() + ": " + error.message());
  }
  std::string temporary = file + ".tmp." + std::to_string(::getpid());
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::error("cannot create " + temporary + ": " + std::strerror(errno));
  std::string header(kCacheMagic);
  auto length = static_cast<std::uint32_t>(key.size());
  header.append(reinterpret_cast<const char*>(&length), sizeof(length));
  header += key;
  header.resize(header_size(key.size()), '\0');
  Status status = write_all(fd, header, temporary);
  if (status) {
    symbols.serialize([&](std::string_view piece) {
      status = write_all(fd, piece, temporary);
      return static_cast<bool>(status);
    });
  }
  if (::close(fd) != 0 && status) {
    status = Status::error("cannot write " + temporary + ": " + std::strerror(errno));
  }
  if (status && ::rename(temporary.c_str(), file.c_str()) != 0) {
    status = Status::error("cannot rename " + temporary + ": " + std::strerror(errno));
  }
  if (!status) ::unlink(temporary.c_str());
  return status;
}

}  // namespace ember::native

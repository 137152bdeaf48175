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

constexpr std::string_view kMagic = "EMBERKC1";

Status write_all(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    ssize_t wrote = ::write(fd, bytes.data(), bytes.size());
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) return Status::error("cannot write " + path + ": " + std::strerror(errno));
    bytes.remove_prefix(static_cast<std::size_t>(wrote));
  }
  return Status::ok();
}

// Megabytes read once: not zeroed first.
bool read_file(const std::string& path, std::unique_ptr<char[]>& out, std::size_t& size) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  if (ok) {
    size = static_cast<std::size_t>(st.st_size);
    out = std::make_unique_for_overwrite<char[]>(size);
    std::size_t done = 0;
    while (ok && done < size) {
      ssize_t got = ::read(fd, out.get() + done, size - done);
      if (got < 0 && errno == EINTR) continue;
      ok = got > 0;
      if (ok) done += static_cast<std::size_t>(got);
    }
  }
  ::close(fd);
  return ok;
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

bool read_saved_kernel_symbols(const std::string& file, const std::string& key,
                               KernelSymbols& out) {
  std::unique_ptr<char[]> bytes;
  std::size_t size = 0;
  if (!read_file(file, bytes, size)) return false;
  std::string_view in(bytes.get(), size);
  if (!in.starts_with(kMagic)) return false;
  in.remove_prefix(kMagic.size());
  std::uint32_t length = 0;
  if (in.size() < sizeof(length)) return false;
  std::memcpy(&length, in.data(), sizeof(length));
  in.remove_prefix(sizeof(length));
  if (length > in.size() || in.substr(0, length) != key) return false;
  in.remove_prefix(length);
  return KernelSymbols::deserialize(in, out);
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
  std::string bytes(kMagic);
  auto length = static_cast<std::uint32_t>(key.size());
  bytes.append(reinterpret_cast<const char*>(&length), sizeof(length));
  bytes += key;
  bytes += symbols.serialize();
  Status status = write_all(fd, bytes, temporary);
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

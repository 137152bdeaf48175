#include "uncompressed_debug.hpp"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "ember/private_files.hpp"

namespace ember::native {
namespace {

namespace fs = std::filesystem;

std::string elf_error() {
  const char* message = elf_errmsg(-1);
  return message ? message : "unknown libelf error";
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

class ElfHandle {
 public:
  explicit ElfHandle(Elf* elf) : elf_(elf) {}
  ~ElfHandle() {
    if (elf_) elf_end(elf_);
  }
  Elf* get() const { return elf_; }

 private:
  Elf* elf_;
};

bool has_compressed_debug(Elf* elf) {
  std::size_t names = 0;
  if (elf_getshdrstrndx(elf, &names) != 0) return false;
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr shdr;
    if (!gelf_getshdr(scn, &shdr) || !(shdr.sh_flags & SHF_COMPRESSED)) continue;
    const char* name = elf_strptr(elf, names, shdr.sh_name);
    if (name && std::strncmp(name, ".debug_", 7) == 0) return true;
  }
  return false;
}

Status copy_sections(Elf* elf, Elf* copy, const std::string& source) {
  GElf_Ehdr ehdr;
  std::size_t names = 0;
  if (!gelf_getehdr(elf, &ehdr) || elf_getshdrstrndx(elf, &names) != 0 ||
      !gelf_newehdr(copy, gelf_getclass(elf))) {
    return Status::error(source + ": " + elf_error());
  }
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr shdr;
    if (!gelf_getshdr(scn, &shdr)) return Status::error(source + ": " + elf_error());
    if ((shdr.sh_flags & SHF_COMPRESSED) &&
        (elf_compress(scn, 0, 0) < 0 || !gelf_getshdr(scn, &shdr))) {
      return Status::error(source + ": cannot inflate a section: " + elf_error());
    }
    Elf_Scn* to = elf_newscn(copy);
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (!to || (!data && shdr.sh_type != SHT_NOBITS && shdr.sh_size != 0)) {
      return Status::error(source + ": " + elf_error());
    }
    if (data) {
      Elf_Data* copied = elf_newdata(to);
      if (!copied) return Status::error(source + ": " + elf_error());
      copied->d_buf = data->d_buf;
      copied->d_type = data->d_type;
      copied->d_version = data->d_version;
      copied->d_size = data->d_size;
      copied->d_off = 0;
      copied->d_align = data->d_align;
    }
    if (!gelf_update_shdr(to, &shdr)) return Status::error(source + ": " + elf_error());
  }
  ehdr.e_phoff = 0;
  ehdr.e_phnum = 0;
  ehdr.e_shoff = 0;  // laid out by libelf
  // An index past SHN_LORESERVE lives in section 0: rare enough to skip.
  if (names >= SHN_LORESERVE) return Status::error(source + ": too many sections to copy");
  ehdr.e_shstrndx = static_cast<decltype(ehdr.e_shstrndx)>(names);
  if (!gelf_update_ehdr(copy, &ehdr)) {
    return Status::error(source + ": " + elf_error());
  }
  return Status::ok();
}

}  // namespace

Status write_uncompressed_elf(const std::string& source, const std::string& target,
                              bool& compressed) {
  compressed = false;
  elf_version(EV_CURRENT);
  Fd in(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0) return Status::error("cannot open " + source + ": " + std::strerror(errno));
  ElfHandle elf(elf_begin(in.get(), ELF_C_READ, nullptr));
  if (!elf.get() || elf_kind(elf.get()) != ELF_K_ELF) {
    return Status::error(source + ": not an ELF file");
  }
  compressed = has_compressed_debug(elf.get());
  if (!compressed) return Status::ok();
  Fd out(::open(target.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (out.get() < 0) return Status::error("cannot create " + target + ": " + std::strerror(errno));
  ElfHandle copy(elf_begin(out.get(), ELF_C_WRITE, nullptr));
  if (!copy.get()) return Status::error(target + ": " + elf_error());
  if (Status status = copy_sections(elf.get(), copy.get(), source); !status) return status;
  if (elf_update(copy.get(), ELF_C_WRITE) < 0) {
    return Status::error("cannot write " + target + ": " + elf_error());
  }
  return Status::ok();
}

std::string UncompressedDebugFiles::path_for(const std::string& path,
                                             const FileIdentity& identity) {
  if (dir_.empty()) return path;
  std::lock_guard lock(mutex_);
  std::string note;
  std::string chosen = copy_of(path, identity, note);
  if (!note.empty() && noted_.insert(path).second) host_.log(LogLevel::debug, note);
  return chosen;
}

std::string UncompressedDebugFiles::copy_of(const std::string& path, const FileIdentity& identity,
                                            std::string& note) {
  std::string name = std::to_string(identity.device) + "-" + std::to_string(identity.inode) + "-" +
                     std::to_string(identity.size) + "-" + std::to_string(identity.mtime_ns) +
                     ".debug";
  std::string copy = dir_ + "/" + name;
  struct stat st {};
  if (::stat(copy.c_str(), &st) == 0) {
    // A copy an older ember left readable is made private before it is used.
    bool made_private = false;
    Status status = make_private_like_new(copy, made_private);
    if (!status) note = status.message();
    if (made_private) note = "made " + copy + " private";
    return copy;
  }
  std::error_code error;
  fs::create_directories(dir_, error);
  if (error) {
    note = "cannot create " + dir_ + ": " + error.message();
    return path;
  }
  // Written under a temporary name and renamed: a reader never sees half a copy.
  std::string temporary = copy + ".tmp." + std::to_string(::getpid());
  bool compressed = false;
  Status status = write_uncompressed_elf(path, temporary, compressed);
  // Nothing compressed (a binary built with -g): its section headers said so, cheaply.
  if (status && !compressed) return path;
  if (status && ::stat(temporary.c_str(), &st) == 0) {
    make_room(static_cast<std::size_t>(st.st_size));
    if (::rename(temporary.c_str(), copy.c_str()) == 0) return copy;
    status = Status::error("cannot rename " + temporary + ": " + std::strerror(errno));
  }
  ::unlink(temporary.c_str());
  note = "no uncompressed copy of " + path + ": " + status.message();
  return path;
}

void UncompressedDebugFiles::make_room(std::size_t bytes) {
  struct Copy {
    fs::path path;
    std::size_t size;
    fs::file_time_type written;
  };
  std::vector<Copy> copies;
  std::size_t total = bytes;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir_, error)) {
    if (entry.path().extension() != ".debug") continue;
    std::error_code ignored;
    Copy copy{entry.path(), static_cast<std::size_t>(entry.file_size(ignored)),
              entry.last_write_time(ignored)};
    total += copy.size;
    copies.push_back(std::move(copy));
  }
  std::sort(copies.begin(), copies.end(),
            [](const Copy& a, const Copy& b) { return a.written < b.written; });
  for (const Copy& copy : copies) {
    if (total <= max_bytes_) break;
    std::error_code ignored;
    // A reader that has it open keeps its pages; the name goes now.
    if (fs::remove(copy.path, ignored)) total -= copy.size;
  }
}

}  // namespace ember::native

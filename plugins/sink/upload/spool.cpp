#include "spool.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace ember::upload_sink {
namespace {

namespace fs = std::filesystem;
constexpr std::string_view kSuffix = ".upload";
constexpr std::string_view kPartial = ".partial";

std::string errno_text(int error) { return std::error_code(error, std::generic_category()).message(); }

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// Writes `contents` to `path` (0600) through a partial file renamed into
// place, so a crash never leaves half an entry under an entry's name.
Status write_file(const std::string& path, std::string_view contents) {
  const std::string partial = path + std::string(kPartial);
  int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::error("cannot write " + partial + ": " + errno_text(errno));
  std::size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int error = errno;
      ::close(fd);
      ::unlink(partial.c_str());
      return Status::error("cannot write " + partial + ": " + errno_text(error));
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (::rename(partial.c_str(), path.c_str()) != 0) {
    int error = errno;
    ::unlink(partial.c_str());
    return Status::error("cannot rename " + partial + ": " + errno_text(error));
  }
  return Status::ok();
}

}  // namespace

Status Spool::open(const std::string& directory, std::uint64_t max_bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  directory_ = directory;
  max_bytes_ = max_bytes;
  std::error_code error;
  fs::create_directories(directory, error);
  if (error) return Status::error("cannot create the spool " + directory + ": " + error.message());
  // Windows are profiles: nobody else reads them, whatever made the directory.
  if (::chmod(directory.c_str(), 0700) != 0) {
    return Status::error("cannot make the spool " + directory + " private: " + errno_text(errno));
  }
  sizes_.clear();
  bytes_ = 0;
  for (const auto& entry : fs::directory_iterator(directory, error)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file()) continue;
    if (ends_with(name, kPartial)) {
      fs::remove(entry.path(), error);  // a write a crash cut short
      continue;
    }
    if (!ends_with(name, kSuffix)) continue;
    ::chmod(entry.path().c_str(), 0600);
    const std::uint64_t size = entry.file_size(error);
    sizes_[name] = size;
    bytes_ += size;
  }
  if (error) return Status::error("cannot read the spool " + directory + ": " + error.message());
  return Status::ok();
}

Status Spool::add(std::int64_t order, std::string_view contents, std::uint64_t& dropped) {
  dropped = 0;
  std::lock_guard<std::mutex> lock(mutex_);
  char name[64];
  std::snprintf(name, sizeof(name), "%020" PRId64 "-%06" PRIu64 "%s", order, next_++ % 1000000,
                std::string(kSuffix).c_str());
  Status written = write_file(path_of(name), contents);
  if (!written) return written;
  sizes_[name] = contents.size();
  bytes_ += contents.size();
  for (auto it = sizes_.begin(); bytes_ > max_bytes_ && it != sizes_.end();) {
    if (it->first == busy_) {
      ++it;
      continue;
    }
    const std::string oldest = (it++)->first;
    remove_locked(oldest);
    ++dropped;
  }
  return Status::ok();
}

std::optional<std::string> Spool::take_oldest() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!busy_.empty() || sizes_.empty()) return std::nullopt;
  busy_ = sizes_.begin()->first;
  return busy_;
}

Status Spool::read(const std::string& name, std::string& contents) const {
  std::ifstream file(path_of(name), std::ios::binary);
  if (!file) return Status::error("cannot read " + path_of(name) + ": " + errno_text(errno));
  std::ostringstream text;
  text << file.rdbuf();
  contents = std::move(text).str();
  return Status::ok();
}

std::uint64_t Spool::release(const std::string& name, bool sent) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (busy_ == name) busy_.clear();
  if (sent) remove_locked(name);
  std::uint64_t dropped = 0;
  for (auto it = sizes_.begin(); bytes_ > max_bytes_ && it != sizes_.end(); ++dropped) {
    const std::string oldest = (it++)->first;
    remove_locked(oldest);
  }
  return dropped;
}

void Spool::remove_locked(const std::string& name) {
  auto found = sizes_.find(name);
  if (found == sizes_.end()) return;
  bytes_ -= found->second;
  sizes_.erase(found);
  ::unlink(path_of(name).c_str());
}

std::size_t Spool::entries() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return sizes_.size();
}

std::uint64_t Spool::bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return bytes_;
}

}  // namespace ember::upload_sink

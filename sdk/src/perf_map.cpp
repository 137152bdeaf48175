#include "ember/perf_map.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "ember/text_file.hpp"

namespace ember {
namespace {

// A hex field of at most 16 digits, no 0x, followed by one space.
bool hex_field(std::string_view& rest, std::uint64_t& value) {
  std::size_t space = rest.find(' ');
  if (space == 0 || space == std::string_view::npos || space > 16) return false;
  auto [end, error] = std::from_chars(rest.data(), rest.data() + space, value, 16);
  if (error != std::errc() || end != rest.data() + space) return false;
  rest.remove_prefix(space + 1);
  return true;
}

// The pid of `pid` in its own namespace: the last NSpid field of its status.
std::uint32_t namespace_pid(std::uint32_t pid) {
  std::string status;
  if (!read_text_file("/proc/" + std::to_string(pid) + "/status", status)) return pid;
  std::size_t at = status.find("\nNSpid:");
  if (at == std::string::npos) return pid;
  std::size_t end = status.find('\n', at + 1);
  std::string_view line(status.data() + at + 7,
                        (end == std::string::npos ? status.size() : end) - at - 7);
  std::size_t last = line.find_last_of(" \t");
  std::string_view digits = last == std::string_view::npos ? line : line.substr(last + 1);
  std::uint32_t value = 0;
  auto [ptr, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  return error == std::errc() && ptr == digits.data() + digits.size() && value ? value : pid;
}

// pread until `size` bytes or EOF; -1 on error.
ssize_t read_at(int fd, char* buffer, std::size_t size, std::uint64_t offset) {
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd, buffer + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  return static_cast<ssize_t>(done);
}

}  // namespace

bool parse_perf_map_line(std::string_view line, std::uint64_t& start, std::uint64_t& size,
                         std::string_view& name) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (!hex_field(line, start) || !hex_field(line, size)) return false;
  if (size == 0 || start + size < start || line.empty()) return false;
  name = line;
  return true;
}

std::string PerfMap::path_for(std::uint32_t pid) {
  return "/proc/" + std::to_string(pid) + "/root/tmp/perf-" +
         std::to_string(namespace_pid(pid)) + ".map";
}

void PerfMap::reset() {
  ranges_.clear();
  consumed_ = 0;
  first_line_.clear();
}

void PerfMap::insert(std::uint64_t start, std::uint64_t end, std::string_view name) {
  // Room for the new range and the piece of an older one it may split.
  if (ranges_.size() + 2 > kMaxEntries) {
    ++skipped_lines_;
    return;
  }
  auto it = ranges_.lower_bound(start);
  if (it != ranges_.begin()) {
    auto before = std::prev(it);
    PerfMapEntry& older = before->second;
    if (older.end > start) {  // the new range lands inside `older`
      if (older.end > end) ranges_[end] = PerfMapEntry{end, older.end, older.name};
      older.end = start;
    }
  }
  it = ranges_.lower_bound(start);
  while (it != ranges_.end() && it->first < end) {
    PerfMapEntry older = it->second;
    it = ranges_.erase(it);
    if (older.end > end) {
      it = ranges_.emplace_hint(it, end, PerfMapEntry{end, older.end, older.name});
      break;
    }
  }
  ranges_.emplace(start,
                  PerfMapEntry{start, end, std::make_shared<const std::string>(name)});
}

std::size_t PerfMap::add_lines(std::string_view text) {
  std::size_t used = 0;
  for (;;) {
    std::size_t newline = text.find('\n', used);
    if (newline == std::string_view::npos) break;
    std::string_view line = text.substr(used, newline + 1 - used);
    std::uint64_t start = 0;
    std::uint64_t size = 0;
    std::string_view name;
    if (line.size() <= kMaxLineBytes && parse_perf_map_line(line, start, size, name)) {
      insert(start, start + size, name);
    } else {
      ++skipped_lines_;
    }
    used = newline + 1;
  }
  return used;
}

Status PerfMap::update(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::error("cannot open " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int error = errno;
    ::close(fd);
    return Status::error("cannot stat " + path + ": " + std::strerror(error));
  }
  bool rewritten = consumed_ > 0 && (st.st_dev != device_ || st.st_ino != inode_ ||
                                     static_cast<std::uint64_t>(st.st_size) < consumed_);
  if (consumed_ > 0 && !rewritten) {
    std::string head(first_line_.size(), '\0');
    ssize_t n = read_at(fd, head.data(), head.size(), 0);
    rewritten = n != static_cast<ssize_t>(head.size()) || head != first_line_;
  }
  if (rewritten) {
    ++rewrites_;
    reset();
  }
  device_ = st.st_dev;
  inode_ = st.st_ino;

  // Whole lines from consumed_ on; a line longer than kMaxLineBytes is
  // skipped as it streams by, so the buffer stays small.
  std::string pending;
  bool skipping_long_line = false;
  char buffer[65536];
  for (;;) {
    ssize_t n = read_at(fd, buffer, sizeof buffer, consumed_ + pending.size());
    if (n < 0) {
      int error = errno;
      ::close(fd);
      return Status::error("cannot read " + path + ": " + std::strerror(error));
    }
    if (n == 0) break;
    std::string_view chunk(buffer, static_cast<std::size_t>(n));
    if (skipping_long_line) {
      std::size_t newline = chunk.find('\n');
      if (newline == std::string_view::npos) {
        consumed_ += chunk.size();
        continue;
      }
      consumed_ += newline + 1;
      chunk.remove_prefix(newline + 1);
      skipping_long_line = false;
      ++skipped_lines_;
    }
    pending.append(chunk);
    bool at_start = consumed_ == 0;
    std::size_t used = add_lines(pending);
    if (at_start && used > 0) {
      std::size_t first_end = pending.find('\n') + 1;
      first_line_.assign(pending, 0, std::min(first_end, kMaxLineBytes));
    }
    consumed_ += used;
    pending.erase(0, used);
    if (pending.size() > kMaxLineBytes) {
      if (consumed_ == 0) first_line_.assign(pending, 0, kMaxLineBytes);
      consumed_ += pending.size();
      pending.clear();
      skipping_long_line = true;
    }
  }
  ::close(fd);
  return Status::ok();
}

const PerfMapEntry* PerfMap::find(std::uint64_t address) const {
  auto it = ranges_.upper_bound(address);
  if (it == ranges_.begin()) return nullptr;
  --it;
  return address < it->second.end ? &it->second : nullptr;
}

}  // namespace ember

#include "ember/text_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ember {
namespace {

// Calls `on_data` with what each read() returned, until EOF.
Status read_until_eof(const std::string& path,
                      const std::function<void(const char*, std::size_t)>& on_data) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Status::error(
        "cannot open " + path + ": " + std::strerror(errno) +
        (errno == ENOENT && path.rfind("/proc/", 0) == 0 ? " (has the process exited?)" : ""));
  }
  char buffer[65536];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int error = errno;
      ::close(fd);
      return Status::error("cannot read " + path + ": " + std::strerror(error));
    }
    if (n == 0) break;
    on_data(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return Status::ok();
}

}  // namespace

Status read_text_file(const std::string& path, std::string& out) {
  out.clear();
  return read_until_eof(path, [&](const char* data, std::size_t size) { out.append(data, size); });
}

Status read_lines_in_chunks(const std::string& path,
                            const std::function<void(std::string_view lines)>& on_lines) {
  std::string pending;  // an unfinished line carried into the next read
  Status status = read_until_eof(path, [&](const char* data, std::size_t size) {
    pending.append(data, size);
    std::size_t end = pending.rfind('\n');
    if (end == std::string::npos) return;
    on_lines(std::string_view(pending).substr(0, end + 1));
    pending.erase(0, end + 1);
  });
  if (status && !pending.empty()) on_lines(pending);
  return status;
}

}  // namespace ember

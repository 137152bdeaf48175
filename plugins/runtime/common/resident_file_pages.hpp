// The agent's resident shared pages (those of file mappings and shared
// memory), from /proc/self/statm, read with one pread of a descriptor kept
// open: what a burst of lookups in mapped files has faulted in since some
// earlier reading, without walking the mappings.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdio>

namespace ember {

class ResidentFilePages {
 public:
  ResidentFilePages() : fd_(::open("/proc/self/statm", O_RDONLY | O_CLOEXEC)) {}
  ~ResidentFilePages() {
    if (fd_ >= 0) ::close(fd_);
  }
  ResidentFilePages(const ResidentFilePages&) = delete;
  ResidentFilePages& operator=(const ResidentFilePages&) = delete;

  // Bytes now; 0 when statm cannot be read.
  std::size_t bytes() const {
    char text[160];
    const ssize_t length = fd_ >= 0 ? ::pread(fd_, text, sizeof(text) - 1, 0) : -1;
    if (length <= 0) return 0;
    text[length] = '\0';
    unsigned long size = 0;
    unsigned long resident = 0;
    unsigned long shared = 0;
    if (std::sscanf(text, "%lu %lu %lu", &size, &resident, &shared) != 3) return 0;
    static const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    return shared * page;
  }

 private:
  int fd_;
};

}  // namespace ember

#include "address_space.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <string>

namespace ember::cpython {

bool has_address_space(std::uint32_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/maps";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char byte = 0;
  ssize_t got = ::read(fd, &byte, 1);
  ::close(fd);
  return got == 1;
}

}  // namespace ember::cpython

// Reading another process' memory, as the JVM plugin does for everything it
// learns of a HotSpot VM: its vmStructs tables, code cache and methods. The
// host reads the target (Host::read_memory); the unit tests read a fake.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace ember::jvm {

class RemoteMemory {
 public:
  virtual ~RemoteMemory() = default;
  // False when any byte of the range cannot be read (unmapped, exited).
  virtual bool read(std::uint64_t address, void* buffer, std::size_t size) = 0;

  template <typename T>
  bool value(std::uint64_t address, T& out) {
    return read(address, &out, sizeof out);
  }

  // A NUL-terminated string of at most `max` bytes; false when unreadable
  // or unterminated within `max`.
  bool c_string(std::uint64_t address, std::string& out, std::size_t max = 256);
};

}  // namespace ember::jvm

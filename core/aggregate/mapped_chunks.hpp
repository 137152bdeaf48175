// Memory mapped from the system in whole chunks, for data that all dies at
// once (an open window's bookkeeping). A monotonic_buffer_resource over it
// hands out the small pieces; release() unmaps every chunk, so none of them
// ever sits between long-lived allocations in the malloc heap, where the
// freed space would stay resident (malloc_trim returns whole free pages
// only) and split the heap into pieces too small for later requests.
#pragma once

#include <cstddef>
#include <memory_resource>

namespace ember {

class MappedChunks : public std::pmr::memory_resource {
 public:
  MappedChunks() = default;
  MappedChunks(const MappedChunks&) = delete;
  MappedChunks& operator=(const MappedChunks&) = delete;
  ~MappedChunks() override = default;  // chunks belong to the resource above

  // Bytes mapped and not yet given back.
  std::size_t mapped_bytes() const { return mapped_; }

 private:
  void* do_allocate(std::size_t bytes, std::size_t alignment) override;
  void do_deallocate(void* chunk, std::size_t bytes, std::size_t alignment) override;
  bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override {
    return this == &other;
  }

  std::size_t mapped_ = 0;
};

}  // namespace ember

#include "mapped_chunks.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <new>

namespace ember {
namespace {

std::size_t whole_pages(std::size_t bytes) {
  static const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  return (bytes + page - 1) / page * page;
}

}  // namespace

void* MappedChunks::do_allocate(std::size_t bytes, std::size_t alignment) {
  const std::size_t size = whole_pages(bytes == 0 ? 1 : bytes);
  if (alignment > whole_pages(1)) throw std::bad_alloc();  // mmap aligns to pages only
  void* chunk = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (chunk == MAP_FAILED) throw std::bad_alloc();
  mapped_ += size;
  return chunk;
}

void MappedChunks::do_deallocate(void* chunk, std::size_t bytes, std::size_t) {
  const std::size_t size = whole_pages(bytes == 0 ? 1 : bytes);
  munmap(chunk, size);
  mapped_ -= size;
}

}  // namespace ember

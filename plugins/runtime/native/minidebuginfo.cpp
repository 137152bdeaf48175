#include "minidebuginfo.hpp"

#include <lzma.h>

#include <algorithm>
#include <cstdint>

namespace ember::native {
namespace {

// The symbol tables of the largest programs (browsers) are tens of MB.
constexpr std::size_t kMaxImage = 256 << 20;

}  // namespace

Status decompress_xz(std::span<const unsigned char> input, std::size_t limit,
                     std::vector<unsigned char>& out) {
  out.clear();
  lzma_stream stream = LZMA_STREAM_INIT;
  if (lzma_stream_decoder(&stream, UINT64_MAX, 0) != LZMA_OK) {
    return Status::error("cannot start the xz decoder");
  }
  stream.next_in = input.data();
  stream.avail_in = input.size();
  lzma_ret result = LZMA_OK;
  while (result == LZMA_OK) {
    if (out.size() >= limit) {
      lzma_end(&stream);
      return Status::error("decompresses to more than " + std::to_string(limit >> 20) + " MiB");
    }
    std::size_t used = out.size();
    out.resize(std::min(limit, std::max<std::size_t>(used * 2, 64 * 1024)));
    stream.next_out = out.data() + used;
    stream.avail_out = out.size() - used;
    // LZMA_FINISH: the input is complete, so a truncated stream is an error.
    result = lzma_code(&stream, LZMA_FINISH);
    out.resize(out.size() - stream.avail_out);
  }
  lzma_end(&stream);
  if (result != LZMA_STREAM_END) {
    out.clear();
    return Status::error("corrupt xz data (liblzma error " + std::to_string(result) + ")");
  }
  return Status::ok();
}

Status read_minidebuginfo(std::span<const unsigned char> debugdata, const std::string& name,
                          ElfFunctionTable& out) {
  std::vector<unsigned char> image;
  if (Status status = decompress_xz(debugdata, kMaxImage, image); !status) {
    return Status::error(name + ": .gnu_debugdata: " + status.message());
  }
  return ElfFunctionTable::open_memory(image, name + " (.gnu_debugdata)", out);
}

}  // namespace ember::native

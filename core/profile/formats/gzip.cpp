#include "gzip.hpp"

#include <zlib.h>

#include <stdexcept>

namespace ember::formats {
namespace {

constexpr int kGzipWindowBits = 15 + 16;  // 15-bit window, gzip header and trailer

std::string zlib_error(const char* what, const z_stream& stream, int code) {
  return std::string(what) + ": " + (stream.msg ? stream.msg : zError(code));
}

}  // namespace

std::string gzip(std::string_view data, int level) {
  z_stream stream{};
  int code = deflateInit2(&stream, level, Z_DEFLATED, kGzipWindowBits, 8,
                          Z_DEFAULT_STRATEGY);
  if (code != Z_OK) throw std::runtime_error(zlib_error("gzip", stream, code));
  std::string out(deflateBound(&stream, data.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  code = deflate(&stream, Z_FINISH);
  std::size_t written = stream.total_out;
  deflateEnd(&stream);
  if (code != Z_STREAM_END) throw std::runtime_error(zlib_error("gzip", stream, code));
  out.resize(written);
  return out;
}

std::string gunzip(std::string_view data, std::size_t max_size) {
  z_stream stream{};
  int code = inflateInit2(&stream, kGzipWindowBits);
  if (code != Z_OK) throw std::runtime_error(zlib_error("gunzip", stream, code));
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buffer[65536];
  do {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof buffer;
    code = inflate(&stream, Z_NO_FLUSH);
    if (code != Z_OK && code != Z_STREAM_END) {
      std::string message = zlib_error("gunzip", stream, code == Z_BUF_ERROR ? Z_DATA_ERROR : code);
      inflateEnd(&stream);
      throw std::runtime_error(code == Z_BUF_ERROR ? "gunzip: truncated data" : message);
    }
    std::size_t produced = sizeof buffer - stream.avail_out;
    if (produced > max_size - out.size()) {
      inflateEnd(&stream);
      throw InflateLimitError("gunzip: inflates to more than " + std::to_string(max_size) +
                               " bytes");
    }
    out.append(buffer, produced);
  } while (code != Z_STREAM_END);
  inflateEnd(&stream);
  return out;
}

}  // namespace ember::formats

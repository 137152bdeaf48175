// gzip (RFC 1952) through zlib: pprof files are gzip-compressed protobuf.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ember::formats {

// Throws std::runtime_error when zlib fails (out of memory). `level`:
// zlib's, 1 (fastest) to 9 (smallest); -1 its default (6).
std::string gzip(std::string_view data, int level = -1);

// What gunzip throws for data that would inflate past its limit, so a caller
// can tell "too big" (HTTP 413) from "damaged" (400).
struct InflateLimitError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Throws std::runtime_error naming zlib's reason for data that is not gzip,
// or InflateLimitError when the data would inflate to more than max_size
// bytes (a small damaged or hostile file can claim gigabytes).
std::string gunzip(std::string_view data, std::size_t max_size = std::string().max_size());

}  // namespace ember::formats

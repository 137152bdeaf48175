// gzip (RFC 1952) through zlib: pprof files are gzip-compressed protobuf.
#pragma once

#include <string>
#include <string_view>

namespace ember::formats {

// Throws std::runtime_error when zlib fails (out of memory).
std::string gzip(std::string_view data);

// Throws std::runtime_error naming zlib's reason for data that is not gzip.
std::string gunzip(std::string_view data);

}  // namespace ember::formats

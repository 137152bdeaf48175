// SipHash-2-4 (Aumasson and Bernstein, 2012): a 64-bit hash under a secret
// 128-bit key. Without the key, inputs that collide cannot be made on
// purpose, so a digest of it can stand for bytes a profiled program chose
// (function names, paths) where a wrong match would misname a frame.
#pragma once

#include <cstdint>
#include <string_view>

namespace ember::store {

struct HashKey {
  std::uint64_t k0 = 0;
  std::uint64_t k1 = 0;

  // A key from the system's random source.
  static HashKey random();
};

std::uint64_t keyed_hash(std::string_view bytes, const HashKey& key);

}  // namespace ember::store

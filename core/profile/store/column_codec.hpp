// Integer columns of the store's blobs (format 2): a column of a series'
// values compresses far better than the values interleaved row by row. Each
// value is written as its difference from the one before (order 1) or as the
// change of that difference (order 2: a steady clock gives zeros), divided by
// the column's greatest common divisor (RSS moves in pages, CPU readings in
// /proc ticks), as zigzag varints. Arithmetic wraps, so any 64-bit value
// round-trips.
#pragma once

#include <cstdint>
#include <vector>

#include "byte_codec.hpp"

namespace ember::store {

void write_column(ByteWriter& out, const std::vector<std::int64_t>& values, int order);
// Reads `n` values written with the same order; throws CorruptBlob on damage.
std::vector<std::int64_t> read_column(ByteReader& in, std::uint64_t n, int order);

}  // namespace ember::store

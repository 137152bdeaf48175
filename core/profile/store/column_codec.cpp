#include "column_codec.hpp"

#include <numeric>

namespace ember::store {
namespace {

std::uint64_t magnitude(std::uint64_t value) {
  return value >> 63 ? ~value + 1 : value;  // |value| of the two's complement
}

// value - previous, repeated `order` times, with wrapping.
std::vector<std::uint64_t> residuals(const std::vector<std::int64_t>& values, int order) {
  std::vector<std::uint64_t> out(values.begin(), values.end());
  for (int pass = 0; pass < order; ++pass) {
    std::uint64_t previous = 0;
    for (std::uint64_t& value : out) {
      std::uint64_t current = value;
      value = current - previous;
      previous = current;
    }
  }
  return out;
}

}  // namespace

void write_column(ByteWriter& out, const std::vector<std::int64_t>& values, int order) {
  std::vector<std::uint64_t> rest = residuals(values, order);
  std::uint64_t divisor = 0;
  for (std::uint64_t r : rest) divisor = std::gcd(divisor, magnitude(r));
  if (divisor == 0) divisor = 1;
  out.varint(divisor);
  for (std::uint64_t r : rest) {
    std::uint64_t quotient = magnitude(r) / divisor;
    out.svarint(static_cast<std::int64_t>(r >> 63 ? ~quotient + 1 : quotient));
  }
}

std::vector<std::int64_t> read_column(ByteReader& in, std::uint64_t n, int order) {
  std::uint64_t divisor = in.varint();
  if (divisor == 0) throw CorruptBlob("a column divided by zero");
  std::vector<std::uint64_t> rest(n);
  for (std::uint64_t& r : rest) r = static_cast<std::uint64_t>(in.svarint()) * divisor;
  for (int pass = 0; pass < order; ++pass) {
    std::uint64_t sum = 0;
    for (std::uint64_t& r : rest) r = sum += r;
  }
  return {rest.begin(), rest.end()};
}

}  // namespace ember::store

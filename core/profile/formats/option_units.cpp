#include "option_units.hpp"

#include <cctype>
#include <limits>
#include <utility>

namespace ember::formats {
namespace {

// Splits "12GiB" into 12 and "GiB"; nothing without leading digits.
std::optional<std::pair<std::int64_t, std::string>> split(const std::string& text) {
  std::size_t i = 0;
  std::int64_t value = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    if (value > (std::numeric_limits<std::int64_t>::max() - 9) / 10) return std::nullopt;
    value = value * 10 + (text[i] - '0');
    ++i;
  }
  if (i == 0) return std::nullopt;
  std::size_t unit = i;
  while (unit < text.size() && text[unit] == ' ') ++unit;
  return std::make_pair(value, text.substr(unit));
}

std::optional<std::int64_t> scaled(std::int64_t value, std::int64_t unit) {
  if (value > std::numeric_limits<std::int64_t>::max() / unit) return std::nullopt;
  return value * unit;
}

}  // namespace

std::optional<std::int64_t> parse_age(const std::string& text) {
  auto parts = split(text);
  if (!parts) return std::nullopt;
  auto [value, unit] = *parts;
  constexpr std::int64_t kSecond = 1'000'000'000;
  if (unit.empty() && value == 0) return 0;
  if (unit == "s") return scaled(value, kSecond);
  if (unit == "m") return scaled(value, 60 * kSecond);
  if (unit == "h") return scaled(value, 3600 * kSecond);
  if (unit == "d") return scaled(value, 86400 * kSecond);
  return std::nullopt;
}

std::optional<std::int64_t> parse_size(const std::string& text) {
  auto parts = split(text);
  if (!parts) return std::nullopt;
  auto [value, unit] = *parts;
  const std::pair<const char*, std::int64_t> units[] = {
      {"", 1},
      {"B", 1},
      {"KB", 1000LL},
      {"MB", 1000LL * 1000},
      {"GB", 1000LL * 1000 * 1000},
      {"TB", 1000LL * 1000 * 1000 * 1000},
      {"KiB", 1LL << 10},
      {"MiB", 1LL << 20},
      {"GiB", 1LL << 30},
      {"TiB", 1LL << 40},
  };
  for (const auto& [name, factor] : units) {
    if (unit == name) return scaled(value, factor);
  }
  return std::nullopt;
}

AgeAndSize read_age_and_size(OptionReader& reader, const std::string& kept) {
  AgeAndSize limits;
  std::string max_age = reader.get_string("max_age", "7d");
  std::string max_size = reader.get_string("max_size", "1GiB");
  if (auto age = parse_age(max_age)) {
    limits.max_age_ns = *age;
  } else {
    reader.fail("max_age", "\"" + max_age + "\" is not an age: a number with s, m, h or d " +
                               "(\"7d\", \"12h\"), or \"0\" to keep " + kept + " of any age");
  }
  if (auto size = parse_size(max_size)) {
    limits.max_bytes = *size;
  } else {
    reader.fail("max_size", "\"" + max_size +
                                "\" is not a size: a number with B, KB, MB, GB, KiB, MiB or "
                                "GiB (\"1GiB\", \"500MB\"), or \"0\" for no limit");
  }
  return limits;
}

}  // namespace ember::formats

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

}  // namespace ember::formats

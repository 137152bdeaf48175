#include "utc_time.hpp"

#include <ctime>

namespace ember::formats {
namespace {

std::string format(std::int64_t unix_ns, const char* pattern) {
  // Floor division, so times before 1970 still name the right second.
  std::int64_t seconds = unix_ns / 1'000'000'000;
  if (unix_ns % 1'000'000'000 < 0) --seconds;
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[64];
  std::size_t n = std::strftime(buffer, sizeof buffer, pattern, &tm);
  return std::string(buffer, n);
}

}  // namespace

std::string utc_compact(std::int64_t unix_ns) { return format(unix_ns, "%Y%m%dT%H%M%SZ"); }

std::string utc_iso8601(std::int64_t unix_ns) { return format(unix_ns, "%Y-%m-%dT%H:%M:%SZ"); }

}  // namespace ember::formats

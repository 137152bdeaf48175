#include "time_spec.hpp"

#include <cctype>
#include <charconv>
#include <ctime>
#include <limits>

namespace ember::report {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;

const char* const kForms =
    "use now, a duration before now (-15m, -2h, -1d, -1h30m), an ISO 8601 time "
    "(2026-11-25T19:05:12Z, 2026-11-25 19:05, +02:00 zones) or epoch seconds";

Status bad(std::string_view text, std::string_view why = "") {
  std::string message = "cannot read the time '" + std::string(text) + "'";
  if (!why.empty()) message += " (" + std::string(why) + ")";
  return Status::error(message + ": " + kForms);
}

// Reads digits at `at`; false if there are none.
bool digits(std::string_view s, std::size_t& at, std::int64_t& value, std::size_t max_len = 19) {
  std::size_t start = at;
  while (at < s.size() && std::isdigit(static_cast<unsigned char>(s[at])) && at - start < max_len)
    ++at;
  if (at == start) return false;
  std::from_chars(s.data() + start, s.data() + at, value);
  return true;
}

// Fraction after a '.', as nanoseconds (extra digits ignored).
std::int64_t fraction_ns(std::string_view s, std::size_t& at) {
  std::int64_t ns = 0, scale = kSecond / 10;
  while (at < s.size() && std::isdigit(static_cast<unsigned char>(s[at]))) {
    ns += (s[at] - '0') * scale;
    scale /= 10;
    ++at;
  }
  return ns;
}

Status parse_duration(std::string_view full, std::string_view s, std::int64_t& out_ns) {
  if (s.empty()) return bad(full, "no duration after '-'");
  std::int64_t total = 0;
  std::size_t at = 0;
  while (at < s.size()) {
    std::int64_t whole = 0;
    if (!digits(s, at, whole, 9)) return bad(full, "expected a number");
    std::int64_t part_ns = 0;
    if (at < s.size() && s[at] == '.') part_ns = fraction_ns(s, ++at);
    if (at >= s.size()) return bad(full, "a duration needs a unit: s, m, h, d or w");
    std::int64_t unit;
    switch (s[at++]) {
      case 's':
        unit = 1;
        break;
      case 'm':
        unit = 60;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'd':
        unit = 86400;
        break;
      case 'w':
        unit = 7 * 86400;
        break;
      default:
        return bad(full, "units are s, m, h, d and w");
    }
    // At most 100 years back, checked per part so the sum cannot overflow.
    constexpr std::int64_t kMostSeconds = 100LL * 366 * 86400;
    if (whole * unit > kMostSeconds) return bad(full, "more than 100 years");
    total += whole * unit * kSecond + part_ns * unit;
    if (total > kMostSeconds * kSecond) return bad(full, "more than 100 years");
  }
  out_ns = total;
  return Status::ok();
}

bool expect(std::string_view s, std::size_t& at, char c) {
  if (at < s.size() && s[at] == c) {
    ++at;
    return true;
  }
  return false;
}

Status parse_iso8601(std::string_view s, std::int64_t& out_ns) {
  std::size_t at = 0;
  std::int64_t year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, frac = 0;
  std::size_t year_start = at;
  if (!digits(s, at, year, 4) || at - year_start != 4 || !expect(s, at, '-') ||
      !digits(s, at, month, 2) || !expect(s, at, '-') || !digits(s, at, day, 2)) {
    return bad(s);
  }
  if (at < s.size() && (s[at] == 'T' || s[at] == 't' || s[at] == ' ')) {
    ++at;
    if (!digits(s, at, hour, 2) || !expect(s, at, ':') || !digits(s, at, minute, 2)) return bad(s);
    if (expect(s, at, ':')) {
      if (!digits(s, at, second, 2)) return bad(s);
      if (expect(s, at, '.') || expect(s, at, ',')) frac = fraction_ns(s, at);
    }
  }
  std::int64_t offset_s = 0;
  if (at < s.size()) {
    if (s[at] == 'Z' || s[at] == 'z') {
      ++at;
    } else if (s[at] == '+' || s[at] == '-') {
      int sign = s[at++] == '-' ? -1 : 1;
      std::int64_t oh = 0, om = 0;
      if (!digits(s, at, oh, 2)) return bad(s, "bad zone offset");
      expect(s, at, ':');
      if (at < s.size() && !digits(s, at, om, 2)) return bad(s, "bad zone offset");
      offset_s = sign * (oh * 3600 + om * 60);
    }
  }
  if (at != s.size()) return bad(s);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return bad(s, "a field is out of range");
  }
  std::tm tm{};
  tm.tm_year = static_cast<int>(year - 1900);
  tm.tm_mon = static_cast<int>(month - 1);
  tm.tm_mday = static_cast<int>(day);
  tm.tm_hour = static_cast<int>(hour);
  tm.tm_min = static_cast<int>(minute);
  tm.tm_sec = static_cast<int>(second);
  std::time_t t = timegm(&tm);
  if (tm.tm_mday != day) return bad(s, "no such day");  // timegm normalised Feb 30
  out_ns = (static_cast<std::int64_t>(t) - offset_s) * kSecond + frac;
  return Status::ok();
}

Status parse_epoch(std::string_view s, std::int64_t& out_ns) {
  std::size_t at = 0;
  std::int64_t whole = 0;
  std::size_t length = 0;
  while (length < s.size() && std::isdigit(static_cast<unsigned char>(s[length]))) ++length;
  if (length >= 19 && length == s.size()) {  // nanoseconds
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out_ns);
    if (ec != std::errc() || end != s.data() + s.size()) return bad(s, "too large");
    return Status::ok();
  }
  if (length > 12 || !digits(s, at, whole)) return bad(s);
  // Nanoseconds since the epoch in 64 bits end in 2262.
  if (whole >= std::numeric_limits<std::int64_t>::max() / kSecond) return bad(s, "after 2262");
  std::int64_t frac = 0;
  if (expect(s, at, '.')) frac = fraction_ns(s, at);
  if (at != s.size()) return bad(s);
  out_ns = whole * kSecond + frac;
  return Status::ok();
}

}  // namespace

Status parse_time(std::string_view text, std::int64_t now_ns, std::int64_t& out_ns) {
  std::string_view s = text;
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  if (s.empty()) return bad(text, "empty");
  if (s == "now") {
    out_ns = now_ns;
    return Status::ok();
  }
  std::string_view ago;
  if (s.rfind("now-", 0) == 0) {
    ago = s.substr(4);
  } else if (s.front() == '-') {
    ago = s.substr(1);
  }
  if (s.front() == '-' || s.rfind("now-", 0) == 0) {
    std::int64_t duration = 0;
    Status parsed = parse_duration(text, ago, duration);
    if (!parsed) return parsed;
    out_ns = now_ns - duration;
    return Status::ok();
  }
  if (s.size() >= 10 && s[4] == '-') return parse_iso8601(s, out_ns);
  if (s.front() == '@') s.remove_prefix(1);
  return parse_epoch(s, out_ns);
}

Status parse_time_range(std::string_view text, std::int64_t now_ns, TimeRange& out) {
  std::size_t dots = text.find("..");
  std::string_view to_text = dots == std::string_view::npos ? "now" : text.substr(dots + 2);
  Status from = parse_time(text.substr(0, dots), now_ns, out.from_ns);
  if (!from) return from;
  Status to = parse_time(to_text, now_ns, out.to_ns);
  if (!to) return to;
  if (out.to_ns <= out.from_ns) {
    return Status::error("the range '" + std::string(text) + "' ends before it starts");
  }
  return Status::ok();
}

}  // namespace ember::report

#include "procfs_parsers.hpp"

#include <charconv>

namespace ember {
namespace {

// Splits `text` at spaces into up to `n` unsigned numbers; false when fewer
// or not numbers.
template <std::size_t N>
bool parse_numbers(std::string_view text, std::uint64_t (&out)[N]) {
  std::size_t at = 0;
  for (std::size_t i = 0; i < N; ++i) {
    while (at < text.size() && text[at] == ' ') ++at;
    std::size_t end = at;
    while (end < text.size() && text[end] != ' ' && text[end] != '\n') ++end;
    if (end == at) return false;
    auto [ptr, ec] = std::from_chars(text.data() + at, text.data() + end, out[i]);
    if (ec != std::errc() || ptr != text.data() + end) return false;
    at = end;
  }
  return true;
}

// The value of "Key:   123 kB" in /proc/meminfo, in bytes.
bool meminfo_value(std::string_view text, std::string_view key, std::uint64_t& bytes) {
  for (std::size_t at = text.find(key); at != std::string_view::npos; at = text.find(key, at + 1)) {
    if (at != 0 && text[at - 1] != '\n') continue;
    std::size_t colon = at + key.size();
    if (colon >= text.size() || text[colon] != ':') continue;
    std::size_t end = text.find('\n', colon);
    std::string_view rest = text.substr(
        colon + 1, end == std::string_view::npos ? std::string_view::npos : end - colon - 1);
    std::uint64_t value[1];
    if (!parse_numbers(rest, value)) return false;
    bool kilobytes = rest.find("kB") != std::string_view::npos;
    bytes = kilobytes ? value[0] * 1024 : value[0];
    return true;
  }
  return false;
}

}  // namespace

bool parse_proc_stat(std::string_view text, CpuTimes& out) {
  if (text.substr(0, 4) != "cpu ") return false;
  // user nice system idle iowait irq softirq steal (guest time is already
  // counted in user and nice).
  std::uint64_t v[8];
  if (!parse_numbers(text.substr(4), v)) return false;
  out.busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
  out.total = out.busy + v[3] + v[4];
  return true;
}

bool parse_meminfo(std::string_view text, MemoryInfo& out) {
  return meminfo_value(text, "MemTotal", out.total_bytes) &&
         meminfo_value(text, "MemAvailable", out.available_bytes);
}

bool parse_pid_stat(std::string_view text, PidStat& out) {
  std::size_t paren = text.rfind(')');
  if (paren == std::string_view::npos || paren + 2 >= text.size()) return false;
  // After ") ": state (field 3), then numbers from field 4 on; utime and
  // stime are fields 14 and 15, starttime 22, rss 24.
  std::string_view rest = text.substr(paren + 2);
  std::size_t space = rest.find(' ');
  if (space == std::string_view::npos) return false;
  std::uint64_t v[21];  // fields 4 .. 24
  // priority and nice may be negative: not kept, so read as 0.
  std::string_view numbers = rest.substr(space + 1);
  std::size_t at = 0;
  for (std::uint64_t& field : v) {
    while (at < numbers.size() && numbers[at] == ' ') ++at;
    std::size_t end = numbers.find(' ', at);
    if (end == std::string_view::npos) end = numbers.size();
    if (end == at) return false;
    std::string_view token = numbers.substr(at, end - at);
    field = 0;
    if (token[0] != '-') {
      auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), field);
      if (ec != std::errc()) return false;
    }
    at = end;
  }
  out.cpu_ticks = v[14 - 4] + v[15 - 4];
  out.start_ticks = v[22 - 4];
  out.rss_pages = v[24 - 4];
  return true;
}

}  // namespace ember

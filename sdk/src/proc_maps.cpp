// Parses /proc/PID/maps. Each line is
//   start-end perms offset major:minor inode [path]
// where the path runs to the end of the line and may contain spaces.
#include "ember/proc_maps.hpp"

#include "ember/text_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace ember {
namespace {

constexpr std::string_view kDeletedSuffix = " (deleted)";

// Reads the field up to the next space (or end) and moves `text` past it.
std::string_view take_field(std::string_view& text) {
  std::size_t end = text.find(' ');
  std::string_view field = text.substr(0, end);
  text.remove_prefix(end == std::string_view::npos ? text.size() : end);
  return field;
}

void skip_spaces(std::string_view& text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
}

template <typename T>
bool parse_hex(std::string_view text, T& value) {
  if (text.empty()) return false;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  return error == std::errc() && end == text.data() + text.size();
}

bool parse_decimal(std::string_view text, std::uint64_t& value) {
  if (text.empty()) return false;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, 10);
  return error == std::errc() && end == text.data() + text.size();
}

bool parse_range(std::string_view field, Mapping& m) {
  std::size_t dash = field.find('-');
  if (dash == std::string_view::npos) return false;
  return parse_hex(field.substr(0, dash), m.start) && parse_hex(field.substr(dash + 1), m.end) &&
         m.start < m.end;
}

bool parse_perms(std::string_view field, Mapping& m) {
  if (field.size() != 4) return false;
  m.readable = field[0] == 'r';
  m.writable = field[1] == 'w';
  m.executable = field[2] == 'x';
  m.shared = field[3] == 's';
  return (field[0] == 'r' || field[0] == '-') && (field[1] == 'w' || field[1] == '-') &&
         (field[2] == 'x' || field[2] == '-') && (field[3] == 's' || field[3] == 'p');
}

bool parse_device(std::string_view field, Mapping& m) {
  std::size_t colon = field.find(':');
  if (colon == std::string_view::npos) return false;
  return parse_hex(field.substr(0, colon), m.dev_major) &&
         parse_hex(field.substr(colon + 1), m.dev_minor);
}

bool parse_line(std::string_view line, Mapping& m) {
  if (!parse_range(take_field(line), m)) return false;
  skip_spaces(line);
  if (!parse_perms(take_field(line), m)) return false;
  skip_spaces(line);
  if (!parse_hex(take_field(line), m.offset)) return false;
  skip_spaces(line);
  if (!parse_device(take_field(line), m)) return false;
  skip_spaces(line);
  if (!parse_decimal(take_field(line), m.inode)) return false;
  skip_spaces(line);
  // The rest is the path, spaces included.
  if (line.size() > kDeletedSuffix.size() && line.ends_with(kDeletedSuffix)) {
    line.remove_suffix(kDeletedSuffix.size());
    m.deleted = true;
  }
  m.path.assign(line);
  return true;
}

}  // namespace

Status parse_proc_maps(std::string_view text, std::vector<Mapping>& out) {
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    std::size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    if (line.empty()) continue;
    Mapping mapping;
    if (!parse_line(line, mapping)) {
      return Status::error("maps line " + std::to_string(line_number) + " does not parse: \"" +
                           std::string(line.substr(0, 200)) + "\"");
    }
    out.push_back(std::move(mapping));
  }
  return Status::ok();
}

Status read_proc_maps(std::uint32_t pid, std::vector<Mapping>& out) {
  std::string path = "/proc/" + std::to_string(pid) + "/maps";
  std::string text;
  if (Status read = read_text_file(path, text); !read) return read;
  Status status = parse_proc_maps(text, out);
  if (!status) return Status::error(path + ": " + status.message());
  return status;
}

const Mapping* find_mapping(const std::vector<Mapping>& sorted, std::uint64_t address) {
  auto after = std::upper_bound(sorted.begin(), sorted.end(), address,
                                [](std::uint64_t a, const Mapping& m) { return a < m.start; });
  if (after == sorted.begin()) return nullptr;
  const Mapping& candidate = *std::prev(after);
  return candidate.contains(address) ? &candidate : nullptr;
}

}  // namespace ember

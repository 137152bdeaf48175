// Container runtimes name cgroups differently, but all of them put the 64-hex
// container id in the path as a whole token between separators: "/", "-",
// ".", ":". So instead of one pattern per runtime, split each path into such
// tokens and take the last 64-hex one (the deepest cgroup names the container;
// parents name pods and slices).
#include "container_id.hpp"

#include <cctype>

namespace ember {
namespace {

constexpr std::size_t kContainerIdLength = 64;

bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

bool is_separator(char c) { return c == '/' || c == '-' || c == '.' || c == ':' || c == '_'; }

// The cgroup path of one line: "hierarchy:controllers:path" -> path.
std::string_view path_of_line(std::string_view line) {
  std::size_t first = line.find(':');
  if (first == std::string_view::npos) return {};
  std::size_t second = line.find(':', first + 1);
  if (second == std::string_view::npos) return {};
  return line.substr(second + 1);
}

std::string container_id_in_path(std::string_view path) {
  std::string found;
  std::size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && is_separator(path[i])) ++i;
    std::size_t start = i;
    while (i < path.size() && !is_separator(path[i])) ++i;
    std::string_view token = path.substr(start, i - start);
    if (token.size() != kContainerIdLength) continue;
    bool all_hex = true;
    for (char c : token) all_hex = all_hex && is_lower_hex(c);
    if (all_hex) found = std::string(token);
  }
  return found;
}

// A pod uid: 8-4-4-4-12 hex digits, groups joined by '-' (cgroupfs driver)
// or '_' (systemd driver).
bool is_pod_uid(std::string_view s) {
  static constexpr std::size_t kGroups[] = {8, 4, 4, 4, 12};
  std::size_t at = 0;
  for (std::size_t g = 0; g < 5; ++g) {
    if (g > 0) {
      if (at >= s.size() || (s[at] != '-' && s[at] != '_')) return false;
      ++at;
    }
    for (std::size_t k = 0; k < kGroups[g]; ++k, ++at) {
      if (at >= s.size() || !is_hex(s[at])) return false;
    }
  }
  return true;
}

constexpr std::size_t kPodUidLength = 36;

std::string pod_uid_in_path(std::string_view path) {
  // "pod" starts a path component ("/pod<uid>") or a slice name part
  // ("kubepods-burstable-pod<uid>.slice").
  for (std::size_t at = path.find("pod"); at != std::string_view::npos;
       at = path.find("pod", at + 1)) {
    if (at == 0 || (path[at - 1] != '/' && path[at - 1] != '-')) continue;
    std::string_view rest = path.substr(at + 3);
    if (!is_pod_uid(rest)) continue;
    std::size_t end = kPodUidLength;
    if (end < rest.size() && rest[end] != '/' && rest[end] != '.') continue;
    std::string uid(rest.substr(0, kPodUidLength));
    for (char& c : uid) {
      if (c == '_') c = '-';
    }
    return uid;
  }
  return {};
}

// Calls `find` on each line's path; the first non-empty answer wins (cgroup v1
// repeats the same path for every controller; v2 has a single line).
template <typename Find>
std::string first_in_lines(std::string_view text, Find find) {
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    std::string found = find(path_of_line(line));
    if (!found.empty()) return found;
  }
  return {};
}

}  // namespace

std::string container_id_from_cgroup(std::string_view proc_pid_cgroup_text) {
  return first_in_lines(proc_pid_cgroup_text, container_id_in_path);
}

std::string pod_uid_from_cgroup(std::string_view proc_pid_cgroup_text) {
  return first_in_lines(proc_pid_cgroup_text, pod_uid_in_path);
}

}  // namespace ember

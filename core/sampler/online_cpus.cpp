#include "online_cpus.hpp"

#include <charconv>
#include <string>

#include "ember/text_file.hpp"

namespace ember {

std::vector<int> parse_cpu_list(std::string_view text) {
  std::vector<int> cpus;
  while (!text.empty()) {
    std::size_t comma = text.find(',');
    std::string_view part = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    while (!part.empty() && (part.back() == '\n' || part.back() == ' ')) part.remove_suffix(1);
    if (part.empty()) continue;
    int first = 0, last = 0;
    std::size_t dash = part.find('-');
    std::string_view a = part.substr(0, dash);
    std::string_view b = dash == std::string_view::npos ? a : part.substr(dash + 1);
    if (std::from_chars(a.data(), a.data() + a.size(), first).ec != std::errc() ||
        std::from_chars(b.data(), b.data() + b.size(), last).ec != std::errc() || last < first) {
      return {};
    }
    for (int cpu = first; cpu <= last; ++cpu) cpus.push_back(cpu);
  }
  return cpus;
}

std::vector<int> online_cpus() {
  std::string text;
  if (!read_text_file("/sys/devices/system/cpu/online", text)) return {};
  return parse_cpu_list(text);
}

}  // namespace ember

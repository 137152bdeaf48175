#include "goroutine_layout.hpp"

#include <cctype>

namespace ember::go {

std::string go_release(std::string_view version) {
  if (version.substr(0, 2) != "go") return {};
  std::size_t end = 2, dots = 0;
  while (end < version.size()) {
    char c = version[end];
    if (c == '.' && ++dots == 2) break;
    if (c != '.' && !std::isdigit(static_cast<unsigned char>(c))) break;
    ++end;
  }
  std::string release(version.substr(0, end));
  // At least "go1.N".
  if (release.size() < 5 || release[2] != '1' || release[3] != '.' || release.back() == '.') {
    return {};
  }
  return release;
}

std::optional<GoroutineLayout> goroutine_layout(std::string_view version) {
  // Read from the DWARF of Debian's golang-1.19 (go1.19.8) build.
  if (go_release(version) == "go1.19") return GoroutineLayout{48, 192, 360};
  return std::nullopt;
}

std::optional<std::int64_t> g_tls_offset(const ElfView& executable, std::string& why) {
  const std::optional<ElfTls>& tls = executable.tls();
  if (!tls) return -8;
  if (tls->memsz == 8 && tls->align <= 8) return -8;
  why = "its TLS block holds " + std::to_string(tls->memsz) +
        " bytes besides Go's g, so where g is in it is not known";
  return std::nullopt;
}

}  // namespace ember::go

#include "sudo_user.hpp"

#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <cstring>

namespace ember::cli {
namespace {

template <typename Id>
bool parse_id(const char* text, Id& out) {
  if (!text || !*text) return false;
  const char* end = text + std::strlen(text);
  auto [stop, error] = std::from_chars(text, end, out);
  return error == std::errc() && stop == end;
}

}  // namespace

std::optional<SudoUser> sudo_user() {
  if (::geteuid() != 0) return std::nullopt;
  SudoUser user;
  if (!parse_id(std::getenv("SUDO_UID"), user.uid) ||
      !parse_id(std::getenv("SUDO_GID"), user.gid)) {
    return std::nullopt;
  }
  if (const char* name = std::getenv("SUDO_USER")) user.name = name;
  return user;
}

}  // namespace ember::cli

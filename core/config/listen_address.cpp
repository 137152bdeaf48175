#include "listen_address.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace ember {

Status parse_listen_address(std::string_view text, ListenAddress& out) {
  auto bad = [&](const std::string& why) {
    return Status::error("\"" + std::string(text) + "\": " + why +
                         "; expected HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080");
  };
  std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return bad("no port");
  std::string_view host = text.substr(0, colon);
  std::string_view port = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    in6_addr address{};
    if (inet_pton(AF_INET6, std::string(host).c_str(), &address) != 1) {
      return bad("not an IPv6 address");
    }
  } else if (host.find(':') != std::string_view::npos) {
    return bad("an IPv6 address needs brackets");
  }
  if (host.empty()) return bad("no host");
  unsigned value = 0;
  auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || error != std::errc() || end != port.data() + port.size() || value > 65535) {
    return bad("the port must be a number from 0 (any free port) to 65535");
  }
  out = ListenAddress{std::string(host), static_cast<std::uint16_t>(value)};
  return Status::ok();
}

bool is_loopback_host(std::string_view host) {
  if (host == "localhost" || host == "::1") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, std::string(host).c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  return false;
}

}  // namespace ember

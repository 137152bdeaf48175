// "host:port" for the servers ember runs (`ember ui --listen`, `[ui] listen`):
// "127.0.0.1:8080", "localhost:8080", "[::1]:8080", "0.0.0.0:8080"; port 0
// asks the kernel for any free port (the server says which it got).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ember/status.hpp"

namespace ember {

struct ListenAddress {
  std::string host;  // without the brackets of an IPv6 address
  std::uint16_t port = 0;  // 0: any free port
};

// Errors say what was wrong and show the accepted form.
Status parse_listen_address(std::string_view text, ListenAddress& out);

// 127.0.0.0/8, ::1 or "localhost": reachable from this host only.
bool is_loopback_host(std::string_view host);

}  // namespace ember

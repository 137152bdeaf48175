#include "http_bind.hpp"

#include <httplib.h>

#include <cerrno>
#include <cstring>

namespace ember {

Status bind_http(httplib::Server& server, const ListenAddress& address, int& port) {
  if (address.port == 0) {
    port = server.bind_to_any_port(address.host);
  } else {
    port = server.bind_to_port(address.host, address.port) ? address.port : -1;
  }
  if (port > 0) return Status::ok();
  return Status::error("cannot listen on " + address.host + ":" + std::to_string(address.port) +
                       ": " + std::strerror(errno));
}

}  // namespace ember

// Binding a cpp-httplib server to a ListenAddress, for every server ember
// runs (`ember ui`, the agent's UI, `ember server`): port 0 takes a free port.
#pragma once

#include "ember/status.hpp"
#include "listen_address.hpp"

namespace httplib {
class Server;
}

namespace ember {

// Sets `port` to the bound one. The error says the address and the system's
// reason ("cannot listen on 127.0.0.1:8080: Address already in use"); each
// caller adds what to do about it in its own terms.
Status bind_http(httplib::Server& server, const ListenAddress& address, int& port);

}  // namespace ember

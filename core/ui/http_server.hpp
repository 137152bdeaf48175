// `ember ui`'s HTTP side (cpp-httplib): /api/v1/* answered by Api (or, for
// `ember ui --server`, by a handler that asks the fleet server), every other
// GET by the embedded UI files. Only GET and HEAD; requests whose Host is not
// a loopback name are refused while the server listens on loopback (a web page
// elsewhere cannot reach the API through DNS rebinding).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "api.hpp"
#include "ember/status.hpp"
#include "listen_address.hpp"

namespace httplib {
class Server;
}

namespace ember::ui {

// Answers an API request: its path ("/api/v1/targets") and query.
using ApiHandler = std::function<ApiResponse(std::string_view path, const Params& params)>;

class UiServer {
 public:
  explicit UiServer(const Api& api);
  explicit UiServer(ApiHandler api);
  ~UiServer();

  // Binds the address; port 0 takes a free one (port() says which).
  Status bind(const ListenAddress& address);
  int port() const { return port_; }
  // Serves until stop() (from another thread). A stop() before run() has
  // started listening is lost: callers repeat it until run() returns.
  Status run();
  void stop();

 private:
  void route();

  ApiHandler api_;
  std::unique_ptr<httplib::Server> server_;
  int port_ = 0;
  bool loopback_ = true;
};

}  // namespace ember::ui

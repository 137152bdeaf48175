// `ember ui --server URL`: the web UI served from this machine, its API
// requests asked of the fleet server (which answers them over ClickHouse:
// fleet_api.hpp) with the bearer token added here, so the browser never holds
// the token and the page is the same as over a local store.
#pragma once

#include <string>
#include <string_view>

#include "api.hpp"
#include "ember/status.hpp"

namespace ember::server {

class FleetProxy {
 public:
  // `url`: http(s)://host:port[/]; errors say what is wrong with it.
  static Status make(const std::string& url, std::string token, FleetProxy& out);

  // The server's answer as it is (status, type, body, a download's file
  // name); 502 when the server cannot be reached.
  ui::ApiResponse ask(std::string_view path, const ui::Params& params) const;

  const std::string& url() const { return url_; }

 private:
  std::string url_;  // without a trailing '/'
  std::string token_;
};

}  // namespace ember::server

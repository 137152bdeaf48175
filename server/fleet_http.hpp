// `ember server`'s HTTP side (cpp-httplib): POST /ingest (Ingest), GET
// /metrics (the counters in Prometheus' text format), and the web UI's API
// under /api/v1/ (fleet_api.hpp), which takes the same bearer tokens as
// ingest: it reads every host's profiles.
#pragma once

#include <memory>
#include <string>

#include "ember/status.hpp"
#include "fleet_api.hpp"
#include "ingest.hpp"
#include "listen_address.hpp"
#include "schema_gate.hpp"

namespace httplib {
class Server;
}

namespace ember::server {

class FleetHttp {
 public:
  // Queries answer 503 until `schema` is ready, as ingest does.
  FleetHttp(const Ingest& ingest, const FleetApi& api, const SchemaGate& schema,
            const Tokens& tokens, const IngestCounters& counters);
  ~FleetHttp();

  // Binds the address; port 0 takes a free one (port() says which).
  Status bind(const ListenAddress& address);
  int port() const { return port_; }
  // Serves until stop() (from another thread); a stop() before run() listens
  // is lost: callers repeat it until run() returns.
  Status run();
  void stop();

 private:
  void route();

  const Ingest& ingest_;
  const FleetApi& api_;
  const SchemaGate& schema_;
  const Tokens& tokens_;
  const IngestCounters& counters_;
  std::unique_ptr<httplib::Server> server_;
  int port_ = 0;
};

}  // namespace ember::server

// What the HTTP module (lib/ember/ember-http.so; cli/http_module.hpp loads
// it) gives the binaries: everything of ember that speaks HTTP. cpp-httplib
// pulls in OpenSSL and Brotli (about 4 MB resident); in a module, the agent
// maps them only while it serves its web UI, and `ember record` never.
// Built from this tree with the binaries and installed beside them, so C++
// types cross; the version and kEntryInterface catch a stray copy.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "ember/status.hpp"
#include "ember/window.hpp"
#include "fleet_client.hpp"
#include "listen_address.hpp"
#include "report.hpp"

namespace ember::http {

// Bumped when Entry or what its functions take changes.
inline constexpr int kEntryInterface = 1;

// The wall clock in nanoseconds (the binary's).
using Clock = std::int64_t (*)();

// The agent's own web UI while it serves; destroying it stops serving.
class AgentUi {
 public:
  virtual ~AgentUi() = default;
  virtual int port() const = 0;
};

struct Entry {
  int interface;
  const char* version;  // the module's EMBER_VERSION
  // `ember ui` and `ember server`: argv[first] is the command's first
  // option; they return the exit code.
  int (*ui_command)(int argc, char** argv, int first, Clock now);
  int (*server_command)(int argc, char** argv, int first, Clock now);
  // [ui] enabled: serves the store at `store_path` (core/ui/served_ui.hpp).
  Status (*serve_agent_ui)(const std::string& store_path, const ListenAddress& address,
                           Clock now, std::unique_ptr<AgentUi>& out);
  // `ember report --server` (server/fleet_fetch.hpp).
  Status (*fetch_fleet_window)(const server::FleetRequest& request, Window& out);
  Status (*fetch_fleet_functions)(const server::FleetRequest& request, report::TopTable& out);
  Status (*fetch_fleet_diff)(const server::FleetRequest& request, report::DiffTable& out);
};

}  // namespace ember::http

// The module's one export.
extern "C" const ember::http::Entry* ember_http_entry();

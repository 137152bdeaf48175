// `ember ui` and `ember server`: run from the HTTP module (http_module.hpp).
#include <cstring>

#include "agent/agent.hpp"
#include "commands.hpp"
#include "http_module.hpp"

namespace ember::cli {

int http_command(const char* name, int argc, char** argv) {
  const http::Entry* module = nullptr;
  if (Status loaded = load_http_module(module); !loaded) return command_failed(name, loaded.message());
  auto command = std::strcmp(name, "ui") == 0 ? module->ui_command : module->server_command;
  return command(argc, argv, 2, realtime_ns);
}

}  // namespace ember::cli

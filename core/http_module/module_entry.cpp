// The HTTP module's one export (http_entry.hpp).
#include <memory>

#include "arguments.hpp"
#include "fleet_fetch.hpp"
#include "http_commands.hpp"
#include "http_entry.hpp"
#include "served_ui.hpp"

namespace ember::http {
namespace {

class ServedAgentUi final : public AgentUi {
 public:
  explicit ServedAgentUi(std::unique_ptr<ui::ServedUi> served) : served_(std::move(served)) {}
  int port() const override { return served_->port(); }

 private:
  std::unique_ptr<ui::ServedUi> served_;
};

Status serve_agent_ui(const std::string& store_path, const ListenAddress& address, Clock now,
                      std::unique_ptr<AgentUi>& out) {
  std::unique_ptr<ui::ServedUi> served;
  if (Status started = ui::ServedUi::start(store_path, address, now, served); !started) {
    return started;
  }
  out = std::make_unique<ServedAgentUi>(std::move(served));
  return Status::ok();
}

int ui_command(int argc, char** argv, int first, Clock now) {
  cli::Arguments args(argc, argv, first);
  return cli::ui_command(args, now);
}

int server_command(int argc, char** argv, int first, Clock now) {
  cli::Arguments args(argc, argv, first);
  return cli::server_command(args, now);
}

constexpr Entry kEntry{kEntryInterface,
                       EMBER_VERSION,
                       ui_command,
                       server_command,
                       serve_agent_ui,
                       server::fetch_fleet_window,
                       server::fetch_fleet_functions,
                       server::fetch_fleet_diff};

}  // namespace
}  // namespace ember::http

extern "C" __attribute__((visibility("default"))) const ember::http::Entry* ember_http_entry() {
  return &ember::http::kEntry;
}

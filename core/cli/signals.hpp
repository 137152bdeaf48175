#pragma once

#include <atomic>

namespace ember::cli {

// Set by SIGINT and SIGTERM; the agent flushes its open window and exits.
std::atomic<bool>& stop_requested();
void install_stop_handlers();

// Set by SIGHUP once install_reload_handler() ran; the agent reloads its config.
std::atomic<bool>& reload_requested();
void install_reload_handler();

}  // namespace ember::cli

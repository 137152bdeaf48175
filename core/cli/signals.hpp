#pragma once

#include <atomic>

namespace ember::cli {

// Set by SIGINT and SIGTERM; the agent flushes its open window and exits.
std::atomic<bool>& stop_requested();
void install_stop_handlers();

}  // namespace ember::cli

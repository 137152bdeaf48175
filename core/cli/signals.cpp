#include "signals.hpp"

#include <csignal>

namespace ember::cli {

std::atomic<bool>& stop_requested() {
  static std::atomic<bool> stop{false};
  return stop;
}

void install_stop_handlers() {
  stop_requested();  // constructed before any signal can arrive
  struct sigaction action {};
  action.sa_handler = [](int) { stop_requested().store(true); };
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: the ring buffer poll returns at once
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

}  // namespace ember::cli

namespace ember::cli {

std::atomic<bool>& reload_requested() {
  static std::atomic<bool> reload{false};
  return reload;
}

void install_reload_handler() {
  reload_requested();
  struct sigaction action {};
  action.sa_handler = [](int) { reload_requested().store(true); };
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: the ring buffer poll returns at once
  sigaction(SIGHUP, &action, nullptr);
}

}  // namespace ember::cli

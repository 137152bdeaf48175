#include "served_ui.hpp"

#include <atomic>
#include <chrono>
#include <thread>

#include "api.hpp"
#include "http_server.hpp"
#include "store_when_ready.hpp"

namespace ember::ui {

// Reads a day of the store or two at a time, not four: the agent's memory.
constexpr std::size_t kAgentCachedWindows = 2;

struct ServedUi::Parts {
  Parts(const std::string& store_path, std::int64_t (*now)())
      : store(store_path), api(store, now, kAgentCachedWindows), server(api) {}

  StoreWhenReady store;
  Api api;
  UiServer server;
  std::atomic<bool> finished{false};
  std::thread serving;
};

Status ServedUi::start(const std::string& store_path, const ListenAddress& address,
                       std::int64_t (*now)(), std::unique_ptr<ServedUi>& out) {
  auto parts = std::make_unique<Parts>(store_path, now);
  Status bound = parts->server.bind(address);
  if (!bound) return bound;
  Parts* p = parts.get();
  p->serving = std::thread([p] {
    (void)p->server.run();
    p->finished = true;
  });
  out.reset(new ServedUi(std::move(parts)));
  return Status::ok();
}

ServedUi::ServedUi(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

ServedUi::~ServedUi() {
  // A stop before the server listens is lost (http_server.hpp): repeat it.
  while (!parts_->finished) {
    parts_->server.stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  parts_->serving.join();
}

int ServedUi::port() const { return parts_->server.port(); }

}  // namespace ember::ui

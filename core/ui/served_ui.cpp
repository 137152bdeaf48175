#include "served_ui.hpp"

#include <malloc.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "api.hpp"
#include "http_server.hpp"
#include "store_when_ready.hpp"

namespace ember::ui {

// Reads a day of the store or two at a time, not four: the agent's memory.
constexpr std::size_t kAgentCachedWindows = 2;
// And none once nobody has asked for a minute: the agent goes back to its
// own size when the page is closed.
constexpr auto kForgetAfter = std::chrono::seconds(60);
constexpr auto kIdleCheck = std::chrono::seconds(5);

struct ServedUi::Parts {
  Parts(const std::string& store_path, std::int64_t (*now)())
      : store(store_path), api(store, now, kAgentCachedWindows), server(api) {}

  StoreWhenReady store;
  Api api;
  UiServer server;
  std::atomic<bool> finished{false};
  std::thread serving;
  std::mutex idle_mutex;
  std::condition_variable idle_wake;
  bool stopping = false;  // under idle_mutex
  std::thread forgetting;

  void forget_while_idle() {
    std::unique_lock lock(idle_mutex);
    while (!idle_wake.wait_for(lock, kIdleCheck, [this] { return stopping; })) {
      if (api.forget_when_idle(kForgetAfter)) malloc_trim(0);  // the pages go back now
    }
  }
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
  p->forgetting = std::thread([p] { p->forget_while_idle(); });
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
  {
    std::lock_guard lock(parts_->idle_mutex);
    parts_->stopping = true;
  }
  parts_->idle_wake.notify_all();
  parts_->forgetting.join();
}

int ServedUi::port() const { return parts_->server.port(); }

}  // namespace ember::ui

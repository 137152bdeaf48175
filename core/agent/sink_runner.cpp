#include "sink_runner.hpp"

#include <chrono>

#include "logging.hpp"
#include "plugin_host/guarded_call.hpp"

namespace ember {

SinkRunner::SinkRunner(std::vector<SinkPlugin*> sinks)
    : sinks_(std::move(sinks)), thread_([this] { run(); }) {}

SinkRunner::~SinkRunner() { finish(); }

void SinkRunner::submit(std::shared_ptr<const Window> window) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(window));
  }
  wake_.notify_one();
}

void SinkRunner::drain() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    finishing_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void SinkRunner::stop() {
  drain();
  closed_ = true;  // the sinks are someone else's to close now
}

Status SinkRunner::finish() {
  drain();
  if (closed_) return close_status_;
  closed_ = true;
  auto logger = component_logger("sinks");
  for (SinkPlugin* sink : sinks_) {
    Status closed = guarded_call("close", [&] { return sink->close(); });
    if (!closed) {
      logger->error("sink.{}: {}", sink->name(), closed.message());
      if (close_status_) close_status_ = closed;
    }
  }
  return close_status_;
}

void SinkRunner::run() {
  auto logger = component_logger("sinks");
  for (;;) {
    std::shared_ptr<const Window> window;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return finishing_ || !queue_.empty(); });
      if (queue_.empty()) return;  // finishing and drained
      window = std::move(queue_.front());
      queue_.pop_front();
      if (queue_.size() > 2) logger->warn("{} windows waiting for slow sinks", queue_.size());
    }
    for (SinkPlugin* sink : sinks_) {
      auto started = std::chrono::steady_clock::now();
      Status written = guarded_call("on_window", [&] { return sink->on_window(*window); });
      if (!written) logger->error("sink.{}: {}", sink->name(), written.message());
      auto took = std::chrono::steady_clock::now() - started;
      if (took > std::chrono::seconds(1)) {
        logger->warn("sink.{} took {} ms for one window", sink->name(),
                     std::chrono::duration_cast<std::chrono::milliseconds>(took).count());
      }
    }
  }
}

}  // namespace ember

#include "sink_worker.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <vector>

#include "logging.hpp"
#include "reader_priority.hpp"
#include "plugin_host/guarded_call.hpp"

namespace ember {

struct SinkWorker::State {
  std::string name;
  SinkPlugin* sink = nullptr;
  SinkSettings settings;
  std::shared_ptr<spdlog::logger> logger;

  mutable std::mutex mutex;
  std::condition_variable wake;     // the thread: a window, or finish
  std::condition_variable stopped;  // wait(): the thread is done
  struct Queued {
    std::shared_ptr<const Window> window;
    std::size_t bytes = 0;
    std::uint64_t samples = 0;
  };
  std::deque<Queued> queue;
  bool finishing = false;
  bool done = false;
  pid_t thread_id = 0;  // once the thread runs
  SinkCounters counters;
  std::uint64_t burst_dropped = 0;  // since the queue was last empty
  Status final_status = Status::ok();

  // A drop before a history sink is a hole in the profile's history.
  spdlog::level::level_enum drop_level() const {
    return settings.keeps_history ? spdlog::level::err : spdlog::level::warn;
  }
};

SinkWorker::SinkWorker(std::string name, SinkPlugin* sink, SinkSettings settings)
    : name_(std::move(name)), settings_(settings), state_(std::make_shared<State>()) {
  if (settings_.queue_windows == 0) settings_.queue_windows = 1;
  state_->name = name_;
  state_->sink = sink;
  state_->settings = settings_;
  state_->logger = component_logger("sinks");
  thread_ = std::thread(run, state_);
}

SinkWorker::~SinkWorker() {
  if (!thread_.joinable()) return;
  if (abandoned_) {
    thread_.detach();  // it holds the state; the caller keeps the plugin
    return;
  }
  finish();
  thread_.join();
}

void SinkWorker::submit(std::shared_ptr<const Window> window, std::size_t bytes,
                        std::uint64_t samples, bool last) {
  // The oldest waiting window is the one dropped, not the new one: the newest
  // describes the present, which is what a user reads first, and a sink
  // that catches up then writes current windows rather than a stale backlog
  // while the recent ones are lost. Either way the hole is counted and logged.
  bool first_drop_of_burst = false;
  bool for_bytes = false;
  std::size_t waiting = 0;
  std::size_t waiting_bytes = 0;
  std::vector<std::shared_ptr<const Window>> dropped;  // let go of outside the lock
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    auto& queue = state_->queue;
    SinkCounters& counters = state_->counters;
    while (!last && !queue.empty() &&
           (queue.size() >= settings_.queue_windows ||
            counters.queued_bytes + bytes > settings_.queue_bytes)) {
      if (!first_drop_of_burst && state_->burst_dropped == 0) {
        first_drop_of_burst = true;
        for_bytes = queue.size() < settings_.queue_windows;
        waiting = queue.size();
        waiting_bytes = counters.queued_bytes;
      }
      const bool over_bytes = queue.size() < settings_.queue_windows;
      counters.queued_bytes -= queue.front().bytes;
      counters.queued_samples -= queue.front().samples;
      dropped.push_back(std::move(queue.front().window));
      queue.pop_front();
      ++counters.dropped;
      counters.dropped_for_bytes += over_bytes;
      ++state_->burst_dropped;
    }
    queue.push_back({std::move(window), bytes, samples});
    counters.queued = queue.size();
    counters.queued_bytes += bytes;
    counters.queued_samples += samples;
    counters.most_queued = std::max(counters.most_queued, queue.size());
  }
  state_->wake.notify_one();
  dropped.clear();  // the last owner of a window frees it, and runs its release hook
  if (first_drop_of_burst) {
    // Once per burst: the count comes when the sink has caught up.
    if (for_bytes) {
      state_->logger->log(
          state_->drop_level(),
          "sink.{}: {} windows of {:.1f} MiB are waiting for it and a new one of {:.1f} MiB "
          "came (its queue_mb is {}): the oldest is dropped, and each next one until it "
          "catches up",
          name_, waiting, waiting_bytes / 1048576.0, bytes / 1048576.0,
          settings_.queue_bytes >> 20);
    } else {
      state_->logger->log(state_->drop_level(),
                          "sink.{}: {} windows are waiting for it (its queue_windows): the oldest "
                          "is dropped, and each next one until it catches up",
                          name_, settings_.queue_windows);
    }
  }
}

void SinkWorker::finish() {
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->finishing = true;
  }
  state_->wake.notify_one();
}

bool SinkWorker::wait(std::chrono::steady_clock::time_point deadline) {
  if (!thread_.joinable()) return !abandoned_;
  bool done;
  {
    std::unique_lock<std::mutex> lock(state_->mutex);
    done = state_->stopped.wait_until(lock, deadline, [&] { return state_->done; });
  }
  if (done) {
    thread_.join();
  } else {
    abandoned_ = true;
  }
  return done;
}

Status SinkWorker::final_status() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->final_status;
}

SinkCounters SinkWorker::counters() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->counters;
}

void SinkWorker::set_priority(const std::string& priority) {
  settings_.priority = priority;
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->settings.priority = priority;
  // Not after it stopped: its id may belong to another thread by then.
  if (state_->thread_id != 0 && !state_->done) set_helper_priority(state_->thread_id, priority);
}

void SinkWorker::run(std::shared_ptr<State> state) {
  auto& logger = state->logger;
  {
    // Under the lock: a set_priority meanwhile is not lost.
    std::lock_guard<std::mutex> lock(state->mutex);
    state->thread_id = static_cast<pid_t>(::syscall(SYS_gettid));
    set_helper_priority(state->thread_id, state->settings.priority);
  }
  for (;;) {
    std::shared_ptr<const Window> window;
    std::uint64_t burst_over = 0;  // windows dropped in a burst that just ended
    {
      std::unique_lock<std::mutex> lock(state->mutex);
      state->wake.wait(lock, [&] { return state->finishing || !state->queue.empty(); });
      if (state->queue.empty()) break;  // finishing, and everything delivered
      window = std::move(state->queue.front().window);
      state->counters.queued_bytes -= state->queue.front().bytes;
      state->counters.queued_samples -= state->queue.front().samples;
      state->counters.writing = true;
      state->counters.writing_samples = state->queue.front().samples;
      state->queue.pop_front();
      state->counters.queued = state->queue.size();
      if (state->queue.empty() && state->burst_dropped) {
        burst_over = state->burst_dropped;
        state->burst_dropped = 0;
      }
    }
    if (burst_over) {
      logger->log(state->drop_level(), "sink.{}: caught up; {} windows were dropped before it",
                  state->name, burst_over);
    }
    const auto started = std::chrono::steady_clock::now();
    Status written = guarded_call("on_window", [&] { return state->sink->on_window(*window); });
    const auto took = std::chrono::steady_clock::now() - started;
    window.reset();  // the last sink to let go frees it
    {
      std::lock_guard<std::mutex> lock(state->mutex);
      ++(written ? state->counters.written : state->counters.failed);
      state->counters.writing = false;
      state->counters.writing_samples = 0;
    }
    if (!written) logger->error("sink.{}: {}", state->name, written.message());
    if (took > std::chrono::seconds(1)) {
      logger->warn("sink.{} took {} ms for one window", state->name,
                   std::chrono::duration_cast<std::chrono::milliseconds>(took).count());
    }
  }
  Status result = guarded_call("flush", [&] { return state->sink->flush(); });
  Status closed = guarded_call("close", [&] { return state->sink->close(); });
  if (result && !closed) result = closed;
  std::lock_guard<std::mutex> lock(state->mutex);
  state->final_status = result;
  state->done = true;
  state->stopped.notify_all();
}

}  // namespace ember

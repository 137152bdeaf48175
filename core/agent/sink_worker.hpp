// One sink on a thread of its own behind a bounded queue: a slow sink delays
// only itself, and the windows waiting for it are bounded in number and in
// bytes (the oldest is dropped first, counted and logged once per burst).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "ember/sink_plugin.hpp"
#include "ember/window.hpp"

namespace ember {

// From this ABI minor on, a window the agent closes may hold a pid's
// programs apart (ProcessInfo::instance).
inline constexpr std::uint32_t kAgentInstancesMinor = 5;

struct SinkSettings {
  std::size_t queue_windows = 8;  // waiting windows before the oldest is dropped
  std::size_t queue_bytes = std::size_t{32} << 20;  // their estimated bytes, the same
  std::chrono::milliseconds flush_timeout{10000};  // deliver, flush and close at shutdown
  bool keeps_history = false;  // SinkPlugin::keeps_history: drops are errors
  std::string priority = "normal";  // [agent] priority: the thread runs at set_helper_priority
  // Built before ABI 6.5: a window holds one process per pid, as then (its
  // pids' other programs of the window folded into their newest).
  bool one_process_per_pid = false;
};

// What a sink has done, for the status log.
struct SinkCounters {
  std::uint64_t written = 0;  // windows on_window accepted
  std::uint64_t dropped = 0;  // oldest windows dropped from a full queue (either bound)
  std::uint64_t dropped_for_bytes = 0;  // of those, dropped for queue_bytes
  std::uint64_t failed = 0;   // windows on_window returned an error for
  std::size_t queued = 0;     // windows waiting now
  std::size_t most_queued = 0;  // the most that ever waited
  std::size_t queued_bytes = 0;  // estimated bytes of the windows waiting now
  std::uint64_t queued_samples = 0;  // samples of the windows waiting now
  bool writing = false;              // on_window runs now
  std::uint64_t writing_samples = 0;  // samples of the window it is writing
};

class SinkWorker {
 public:
  SinkWorker(std::string name, SinkPlugin* sink, SinkSettings settings);
  // Joins the thread, or leaves it running when the sink was abandoned.
  ~SinkWorker();

  const std::string& name() const { return name_; }
  const SinkSettings& settings() const { return settings_; }

  // Queues `window` (`bytes`: its window_bytes(), `samples`: its
  // total_samples()), dropping the oldest waiting ones while the queue is
  // full by count or by bytes. A window larger than queue_bytes on its own is
  // still queued when nothing waits. The agent's last window (`last`, at its
  // stop) drops none: no window comes after it, and every one closed is
  // written unless the flush deadline passes.
  void submit(std::shared_ptr<const Window> window, std::size_t bytes, std::uint64_t samples,
              bool last = false);

  // Asks the thread to deliver every queued window, then flush and close the
  // sink, and stop. Returns at once; wait() waits.
  void finish();
  // Waits until the thread stopped or `deadline` passed. False when the sink
  // missed it: it is abandoned (the caller must keep the plugin loaded).
  bool wait(std::chrono::steady_clock::time_point deadline);
  // The first error of flush or close, once wait() returned true.
  Status final_status() const;

  SinkCounters counters() const;

  // [agent] priority changed on reload: the thread runs at the new one from
  // now on (set_helper_priority).
  void set_priority(const std::string& priority);

 private:
  struct State;
  static void run(std::shared_ptr<State> state);

  std::string name_;
  SinkSettings settings_;
  std::shared_ptr<State> state_;  // shared with the thread: it may outlive us
  std::thread thread_;
  bool abandoned_ = false;
};

}  // namespace ember

// Hands closed windows to the sinks, each on a worker of its own behind a
// bounded queue (sink_worker.hpp), so a slow sink delays only itself, never
// the sampler nor the other sinks. A window is shared by every sink, not
// copied. Once the last sink lets go of a window, a hook runs (the agent
// gives the heap the sinks freed writing it back to the system then).
#pragma once

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "ember/sink_plugin.hpp"
#include "ember/window.hpp"
#include "sink_worker.hpp"

namespace ember {

struct SinkEntry {
  std::string name;
  SinkPlugin* plugin = nullptr;
  SinkSettings settings;
};

class SinkRunner {
 public:
  // `after_window` runs once for each submitted window, right after the last
  // sink holding it let go of it, on that sink's thread (or the submitter's,
  // when every queue dropped it); it must not throw.
  explicit SinkRunner(std::vector<SinkEntry> sinks, std::function<void()> after_window = {});
  // Finishes what is left (abandoned sinks are the caller's to keep loaded).
  ~SinkRunner();

  // `last`: the agent's stop window, which drops no queued window
  // (SinkWorker::submit).
  void submit(std::shared_ptr<const Window> window, bool last = false);
  void add(const SinkEntry& sink);

  // Delivers every queued window to the named sinks, flushes and closes them,
  // all at once, each within its flush_timeout; they leave the runner. The
  // first error of a flush or close is returned; sinks that missed their
  // deadline are named in `abandoned`: their threads may still run in them,
  // so their plugins must never be destroyed nor unloaded.
  Status finish(const std::set<std::string>& names, std::vector<std::string>& abandoned);
  // The same for every sink.
  Status finish_all(std::vector<std::string>& abandoned);

  // Each sink's counters, by name, in the order they were added.
  std::vector<std::pair<std::string, SinkCounters>> counters() const;
  // The most estimated bytes of windows waiting for one sink (windows are
  // shared, so this is at most what the queues hold apart from each other).
  std::size_t queued_bytes() const;
  // "store 12 written, 0 dropped, 0 failed, 0/8 queued (0.0 of 32 MiB); files ..."
  std::string status() const;
  // Whether a sink dropped or failed a window, or has more than one waiting,
  // since the last call: the status is worth an info line then.
  bool needs_attention();
  // [agent] priority changed on reload: every sink's thread takes it.
  void set_priority(const std::string& priority);

 private:
  std::vector<std::unique_ptr<SinkWorker>> workers_;
  std::function<void()> after_window_;
  std::uint64_t trouble_seen_ = 0;  // drops + failures at the last needs_attention()
};

}  // namespace ember

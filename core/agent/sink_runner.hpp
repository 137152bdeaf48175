// Hands closed windows to the sinks on a thread of its own, so a slow sink
// delays only itself (and says so), never the sampler.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "ember/sink_plugin.hpp"
#include "ember/window.hpp"

namespace ember {

class SinkRunner {
 public:
  explicit SinkRunner(std::vector<SinkPlugin*> sinks);
  ~SinkRunner();

  void submit(std::shared_ptr<const Window> window);

  // Delivers every queued window, then flushes and closes the sinks. The
  // first error of a close (the data it had not written is lost) is returned.
  Status finish();

  // Delivers every queued window and stops, leaving the sinks open (a config
  // reload hands them to a new runner); finish() will not close them.
  void stop();

 private:
  void run();
  void drain();

  std::vector<SinkPlugin*> sinks_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<const Window>> queue_;
  bool finishing_ = false;
  bool closed_ = false;
  Status close_status_ = Status::ok();
  std::thread thread_;
};

}  // namespace ember

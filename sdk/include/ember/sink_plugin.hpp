// Sink plugins: where closed windows go (files, the local store, an upload).
//
// The host calls each sink from a thread of its own, never the sampler's, so
// a slow sink delays only itself. Windows wait for it in a bounded queue
// ([sink.NAME] queue_windows); when the queue is full the oldest waiting
// window is dropped, counted and logged. on_window gets every window that
// was not dropped, in order; flush makes what was written durable; close is
// the last call. At shutdown the host calls flush and close within a deadline
// ([sink.NAME] flush_timeout_seconds): a sink that misses it is logged and
// abandoned (never called again, never unloaded), and the agent exits.
#pragma once

#include <string_view>

#include "ember/host.hpp"
#include "ember/options.hpp"
#include "ember/status.hpp"
#include "ember/window.hpp"

namespace ember {

class SinkPlugin {
 public:
  virtual ~SinkPlugin() = default;

  // Its config section is [sink.<name>].
  virtual std::string_view name() const = 0;

  // Once, before any other call. `host` outlives the plugin.
  virtual Status configure(const Options& options, Host& host) = 0;

  virtual Status on_window(const Window& window) = 0;
  virtual Status flush() { return Status::ok(); }
  virtual Status close() { return flush(); }

  // True for a sink whose windows are the profile's history (the store, an
  // upload): a window dropped before it reaches this sink is a hole nobody
  // can fill later, so its drops are logged as errors, not warnings. Called
  // once, after configure.
  virtual bool keeps_history() const { return false; }
};

}  // namespace ember

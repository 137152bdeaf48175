// Sink plugins: where closed windows go (files, the local store, an upload).
//
// The host calls a sink from one thread of its own, never the sampler's, so a
// slow sink delays only itself. on_window gets every closed window in order;
// flush makes what was written durable; close is the last call.
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
};

}  // namespace ember

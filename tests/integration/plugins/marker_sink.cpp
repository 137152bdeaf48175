// A sink plugin that says when its code runs: its constructor appends
// "constructor PID" and its configure "configured PID" to the file named by
// EMBER_IT_PLUGIN_MARKER. Built twice: marker_sink.so, a correct plugin, and
// (MARKER_SINK_CRASHES) crashing_sink.so, whose constructor aborts after
// writing its line, as a broken plugin would.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "ember/plugin.hpp"

namespace marker {

void mark(const char* what) {
  const char* path = std::getenv("EMBER_IT_PLUGIN_MARKER");
  if (!path) return;
  if (std::FILE* file = std::fopen(path, "a")) {
    std::fprintf(file, "%s %d\n", what, static_cast<int>(::getpid()));
    std::fclose(file);
  }
}

__attribute__((constructor)) void on_load() {
  mark("constructor");
#ifdef MARKER_SINK_CRASHES
  std::abort();
#endif
}

class MarkerSink : public ember::SinkPlugin {
 public:
  std::string_view name() const override { return "marker"; }
  ember::Status configure(const ember::Options&, ember::Host&) override {
    mark("configured");
    return ember::Status::ok();
  }
  ember::Status on_window(const ember::Window&) override { return ember::Status::ok(); }
};

}  // namespace marker

EMBER_SINK_PLUGIN(marker::MarkerSink, "marker")

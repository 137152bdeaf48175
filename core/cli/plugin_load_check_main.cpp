// `ember-plugin-load-check FILE.so`: the trial process of a plugin's first
// load (plugin_load_trial.hpp). Loads the plugin, which runs its
// constructors, and checks its ABI; writes "ok" or the error to fd 3. A
// crash here is the agent's log line, not the agent's death.
#include <unistd.h>

#include <string>

#include "plugin_host/plugin_loader.hpp"

namespace {

void answer(const std::string& text) {
  std::string line = text + "\n";
  const char* data = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    ssize_t written = ::write(3, data, left);
    if (written <= 0) return;
    data += written;
    left -= static_cast<std::size_t>(written);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    answer("ember-plugin-load-check: usage: ember-plugin-load-check FILE.so");
    return 2;
  }
  ember::LoadedLibrary library;
  ember::Status loaded = ember::load_plugin_library(argv[1], library);
  answer(loaded ? "ok" : loaded.message());
  // Not unloaded: a plugin's destructors are not part of its trial.
  ::_exit(loaded ? 0 : 1);
}

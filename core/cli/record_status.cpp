#include "record_status.hpp"

#include <unistd.h>

#include <cstdio>
#include <string>

#include "logging.hpp"

namespace ember::cli {

std::function<void(const RunProgress&)> terminal_status_line() {
  if (!isatty(STDERR_FILENO)) return {};
  return [](const RunProgress& progress) {
    if (!progress.sampling) {
      set_status_line("");  // the final figures follow in the log
      return;
    }
    char line[160];
    std::snprintf(line, sizeof(line),
                  "ember record: %.0f s, %llu samples, %llu lost, %zu process%s (Ctrl-C stops)",
                  progress.seconds, static_cast<unsigned long long>(progress.samples),
                  static_cast<unsigned long long>(progress.lost), progress.processes,
                  progress.processes == 1 ? "" : "es");
    set_status_line(line);
  };
}

}  // namespace ember::cli

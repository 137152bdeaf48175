// The agent's sinks: started on workers of their own, their status logged
// with each window, finished at shutdown (or when a reload replaces them)
// within their deadlines, and kept loaded for good when they miss it.
#include <malloc.h>

#include <boost/dll/shared_library.hpp>

#include <chrono>

#include "agent.hpp"
#include "logging.hpp"
#include "memory_report.hpp"
#include "plugin_host/guarded_call.hpp"

namespace ember {
namespace {

// What the sinks freed writing a window (the window itself, their rows, the
// text they rendered) goes back to the system once the last of them let go
// of it, on that sink's thread: the trim at the window's close runs before
// they write, and without another the freed pages stay resident until the
// next close. Once a window: malloc_trim walks every arena's free lists
// under its lock (0.1-125 ms measured at 999 Hz under churn on a busy
// 2-CPU host, once 461 ms), so never on the thread that reads samples.
std::function<void()> trim_after_sinks(std::shared_ptr<spdlog::logger> logger) {
  return [logger] {
    const bool debug = logger->should_log(spdlog::level::debug);
    const std::size_t rss_before = debug ? own_memory().rss_bytes : 0;
    const auto started = std::chrono::steady_clock::now();
    malloc_trim(0);
    if (!debug) return;
    const double took_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count();
    logger->debug("memory once the sinks wrote the window: {} (RSS {:.1f} MB before the trim, "
                  "{:.1f} ms)",
                  describe_memory(own_memory()), rss_before / 1e6, took_ms);
  };
}

// A sink still running in its abandoned thread: its object, host handle and
// library stay as they are until the process exits.
void keep_forever(PluginInstance<SinkPlugin>& instance) {
  (void)instance.plugin.release();
  (void)instance.host.release();
  (void)new std::shared_ptr<boost::dll::shared_library>(instance.library);
}

}  // namespace

SinkEntry sink_entry(const PluginInstance<SinkPlugin>& instance, const Config& config) {
  SinkEntry entry;
  entry.name = instance.name;
  entry.plugin = instance.plugin.get();
  entry.settings.priority = config.priority;
  entry.settings.one_process_per_pid = instance.abi_minor < kAgentInstancesMinor;
  auto table = config.sinks.find(instance.name);
  if (table != config.sinks.end()) {
    entry.settings.queue_windows = table->second.queue_windows;
    entry.settings.queue_bytes = std::size_t{table->second.queue_mb} << 20;
    entry.settings.flush_timeout = std::chrono::seconds(table->second.flush_timeout_seconds);
  }
  SinkPlugin* plugin = instance.plugin.get();
  bool keeps = false;
  if (guarded_call("keeps_history", [&] { keeps = plugin->keeps_history(); })) {
    entry.settings.keeps_history = keeps;
  }
  return entry;
}

void Agent::start_sinks() {
  std::vector<SinkEntry> entries;
  for (auto& sink : plugins_.sinks) entries.push_back(sink_entry(sink, config_));
  sinks_ = std::make_unique<SinkRunner>(std::move(entries), trim_after_sinks(logger_));
}

Status Agent::finish_sinks(const std::set<std::string>* names) {
  if (!sinks_) return Status::ok();
  std::vector<std::string> abandoned;
  Status finished = names ? sinks_->finish(*names, abandoned) : sinks_->finish_all(abandoned);
  auto& sinks = plugins_.sinks;
  for (auto it = sinks.begin(); it != sinks.end();) {
    if (names && !names->count(it->name)) {
      ++it;
      continue;
    }
    if (std::find(abandoned.begin(), abandoned.end(), it->name) != abandoned.end()) {
      keep_forever(*it);
      it = sinks.erase(it);
    } else if (names) {
      it = sinks.erase(it);  // replaced by a reload
    } else {
      ++it;  // at exit: unloaded with the other plugins, in the agent's order
    }
  }
  return finished;
}

void Agent::log_sink_status() {
  if (!sinks_) return;
  const bool attention = sinks_->needs_attention();
  logger_->log(attention ? spdlog::level::info : spdlog::level::debug, "sinks: {}",
               sinks_->status());
}

}  // namespace ember

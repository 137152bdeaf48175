// The agent's sinks: started on workers of their own, their status logged
// with each window, finished at shutdown (or when a reload replaces them)
// within their deadlines, and kept loaded for good when they miss it.
#include <boost/dll/shared_library.hpp>

#include "agent.hpp"
#include "logging.hpp"
#include "plugin_host/guarded_call.hpp"

namespace ember {
namespace {

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
  sinks_ = std::make_unique<SinkRunner>(std::move(entries));
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

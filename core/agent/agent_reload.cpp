// SIGHUP: applying a new config to a running agent, rebuilding only what the
// change touches, so the store and the other sinks stay open and the sampler
// keeps running through a sink or filter change.
#include <algorithm>

#include "agent.hpp"
#include "logging.hpp"
#include "plugin_host/guarded_call.hpp"

namespace ember {
namespace {

bool same_sampler(const SamplerOptions& a, const SamplerOptions& b) {
  return a.frequency_hz == b.frequency_hz && a.event == b.event &&
         a.ring_buffer_kib == b.ring_buffer_kib &&
         a.stack_snapshot_bytes == b.stack_snapshot_bytes &&
         a.leaf_snapshot_bytes == b.leaf_snapshot_bytes && a.pids == b.pids;
}

bool same_plugins(const std::map<std::string, PluginConfig>& a,
                  const std::map<std::string, PluginConfig>& b) {
  auto covered = [](const std::map<std::string, PluginConfig>& one,
                    const std::map<std::string, PluginConfig>& other) {
    for (const auto& [name, config] : one) {
      auto found = other.find(name);
      if (!same_plugin_config(config, found == other.end() ? PluginConfig{} : found->second))
        return false;
    }
    return true;
  };
  return covered(a, b) && covered(b, a);
}

}  // namespace

SamplerOptions sampler_options(const Config& config) {
  SamplerOptions options;
  options.frequency_hz = config.frequency_hz;
  options.event = config.event;
  options.ring_buffer_kib = config.ring_buffer_kib;
  options.stack_snapshot_bytes = config.stack_snapshot_bytes;
  options.leaf_snapshot_bytes = config.leaf_snapshot_bytes;
  options.pids = config.pids;
  return options;
}

void Agent::enable_reload(std::atomic<bool>* requested, std::function<Status(Config&)> load) {
  reload_requested_ = requested;
  load_config_ = std::move(load);
}

void Agent::handle_reload() {
  if (!load_config_) return;
  logger_->info("SIGHUP: reloading the config");
  Config next;
  Status loaded = guarded_call("loading the config", [&] { return load_config_(next); });
  if (loaded) loaded = reload(next);
  if (!loaded && !broken_) {
    logger_->error("config reload failed, the running config stays: {}", loaded.message());
  } else if (!loaded) {
    logger_->critical("config reload failed half-way: {}", loaded.message());
  }
}

Status Agent::reload(const Config& next) {
  const bool restart = !same_sampler(sampler_options(config_), sampler_options(next)) ||
                       !same_plugins(config_.runtimes, next.runtimes) ||
                       config_.plugin_dirs != next.plugin_dirs;
  const bool new_filters =
      restart || config_.include != next.include || config_.exclude != next.exclude;
  const bool new_window = new_filters || config_.window_seconds != next.window_seconds ||
                          config_.metrics_interval_ms != next.metrics_interval_ms;
  // 1. Build what is new before touching what runs: a failure changes nothing.
  std::vector<LoadedLibrary> libraries = load_plugins_of(next);
  std::unique_ptr<Sampler> sampler;
  std::vector<PluginInstance<RuntimePlugin>> runtimes;
  if (restart) {
    if (Status opened = Sampler::open(sampler_options(next), sampler); !opened) return opened;
    Status created = create_runtime_plugins(libraries, next, sampler.get(), runtimes);
    if (!created) return created;
  }
  std::set<std::string> closing;  // running sinks whose table changed or went
  std::vector<PluginInstance<SinkPlugin>> added;
  for (const auto& [name, sink] : next.sinks) {
    auto old = config_.sinks.find(name);
    if (same_plugin_config(old == config_.sinks.end() ? PluginConfig{} : old->second, sink))
      continue;
    closing.insert(name);
    if (!sink.enabled) continue;
    const std::size_t before = added.size();
    if (Status created = create_sink_plugin(libraries, name, sink, added); !created) return created;
    const bool running = std::any_of(plugins_.sinks.begin(), plugins_.sinks.end(),
                                     [&](const auto& instance) { return instance.name == name; });
    if (added.size() == before && running) {
      // Its new settings failed (logged): better the sink as it was than none.
      logger_->warn("sink.{} keeps its previous settings", name);
      closing.erase(name);
    }
  }
  for (const auto& [name, sink] : config_.sinks) {
    if (!next.sinks.count(name)) closing.insert(name);
  }

  // 2. Switch. The open window goes to the sinks it was collected for.
  if (Status logging = setup_logging(next.log_level, next.log_format); !logging) return logging;
  const std::int64_t now = monotonic_ns();
  if (new_window) {
    sampler_->poll(0, handler_);
    close_window(realtime_ns());
  }
  if (!closing.empty()) replace_sinks(closing, std::move(added));
  if (restart) {
    SamplerStats old = sampler_->stats();
    retired_stats_.samples += old.samples;
    retired_stats_.lost += old.lost;
    lost_reported_ = 0;
    // Handlers and frames before the plugins that made them, those before the sampler.
    processes_.clear();
    stack_.clear();
    stacks_.reset();
    runtimes_.reset();
    plugins_.runtimes.clear();
    sampler_ = std::move(sampler);
    plugins_.runtimes = std::move(runtimes);
    runtimes_ = std::make_unique<RuntimeAttacher>(plugins_);
    stacks_ = std::make_unique<StackBuilder>(plugins_.native());
  } else if (new_filters) {
    for (std::uint32_t pid : processes_.clear()) sampler_->forget_process(pid);  // re-read
  }

  const bool was_sampling_all = config_.pids.empty();
  config_ = next;
  include_.clear();
  exclude_.clear();
  for (const std::string& pattern : config_.include) include_.emplace_back(pattern);
  for (const std::string& pattern : config_.exclude) exclude_.emplace_back(pattern);
  hostname_ = host_name();
  processes_.set_labeler(std::make_unique<ProcessLabeler>(config_));
  if (new_window) schedule(now);

  if (restart) {
    attach_running_processes();
    if (Status started = sampler_->start(); !started) {
      broken_ = true;
      return started;
    }
  }
  logger_->info(
      "config reloaded from {}: {}; sinks: {}", config_.source,
      restart ? "sampler and runtimes restarted" : "sampler kept",
      closing.empty() ? std::string("unchanged") : [&] {
        std::string names;
        for (const std::string& name : closing) names += (names.empty() ? "" : ", ") + name;
        return names + " replaced";
      }());
  if (was_sampling_all != config_.pids.empty()) {
    logger_->info("sampling {}", config_.pids.empty() ? "every process" : "the given processes");
  }
  return Status::ok();
}

void Agent::replace_sinks(const std::set<std::string>& closing,
                          std::vector<PluginInstance<SinkPlugin>> added) {
  sinks_->stop();  // delivers what is queued to the sinks it was meant for
  auto& sinks = plugins_.sinks;
  for (auto it = sinks.begin(); it != sinks.end();) {
    if (!closing.count(it->name)) {
      ++it;
      continue;
    }
    SinkPlugin* sink = it->plugin.get();
    Status closed = guarded_call("close", [&] { return sink->close(); });
    if (!closed) logger_->error("sink.{}: {}", it->name, closed.message());
    it = sinks.erase(it);
  }
  for (auto& sink : added) sinks.push_back(std::move(sink));
  if (sinks.empty()) logger_->warn("no sink is enabled: profiles will not be kept");
  std::vector<SinkPlugin*> plugins;
  for (auto& sink : sinks) plugins.push_back(sink.plugin.get());
  sinks_ = std::make_unique<SinkRunner>(std::move(plugins));
}

}  // namespace ember

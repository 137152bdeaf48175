// SIGHUP: applying a new config to a running agent, rebuilding only what the
// change touches, so the store and the other sinks stay open and the sampler
// keeps running through a sink or filter change.
#include <algorithm>

#include "agent.hpp"
#include "reader_priority.hpp"
#include "agent/unwind_rules.hpp"
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

// Names of the plugins whose config differs between `a` and `b`.
std::set<std::string> changed_plugins(const std::map<std::string, PluginConfig>& a,
                                      const std::map<std::string, PluginConfig>& b) {
  std::set<std::string> changed;
  auto compare = [&](const std::map<std::string, PluginConfig>& one,
                     const std::map<std::string, PluginConfig>& other) {
    for (const auto& [name, config] : one) {
      auto found = other.find(name);
      if (!same_plugin_config(config, found == other.end() ? PluginConfig{} : found->second))
        changed.insert(name);
    }
  };
  compare(a, b);
  compare(b, a);
  return changed;
}

// Why a reload must replace the sampler, or empty when it can keep it.
std::string sampler_restart_reason(const Config& running, const Config& next) {
  if (!same_sampler(sampler_options(running), sampler_options(next))) {
    return "[sampler] or pids changed: they are fixed when its BPF program loads";
  }
  if (running.plugin_dirs != next.plugin_dirs) {
    return "plugin_dirs changed: every runtime plugin is loaded anew";
  }
  return {};
}

std::string joined(const std::set<std::string>& names) {
  std::string text;
  for (const std::string& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
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
  options.follow_forks = config.follow_children;
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
  if (next.group != config_.group) {
    // The umask and effective group are set once, before any file is written.
    logger_->warn("agent.group changed from \"{}\" to \"{}\": it applies at the next start",
                  config_.group, next.group);
  }
  const std::string restart_reason = sampler_restart_reason(config_, next);
  const bool restart = !restart_reason.empty();
  // Without a restart, changed runtimes are swapped in place: the sampler
  // keeps sampling, and their BPF programs join or leave its prog array.
  const std::set<std::string> swapped =
      restart ? std::set<std::string>{} : changed_plugins(config_.runtimes, next.runtimes);
  const bool new_runtimes = restart || !swapped.empty();
  const bool new_filters =
      new_runtimes || config_.include != next.include || config_.exclude != next.exclude;
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
  } else if (!swapped.empty()) {
    Config changed = next;
    std::erase_if(changed.runtimes, [&](const auto& entry) { return !swapped.count(entry.first); });
    Status created = create_runtime_plugins(libraries, changed, sampler_.get(), runtimes);
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
    if (Status created = create_sink_plugin(libraries, next.plugin_dirs, name, sink, added); !created)
      return created;
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
  // The ring is read here, in order after what the reader thread queued,
  // until the switch is done.
  const bool reading = reader_ != nullptr;
  stop_reader();
  if (restart) sampler_->stop();  // its last samples go to the window it closes
  if (new_window) {
    queue_->take(0, handler_, SIZE_MAX, INT64_MAX);
    sampler_->poll(0, handler_);
    close_window(realtime_ns());
  }
  if (!closing.empty()) replace_sinks(closing, std::move(added), next);
  if (new_runtimes) {
    // Handlers and frames before the plugins that made them. A handler clears
    // its pid's BPF state; what other plugins set is re-set when they attach.
    for (std::uint32_t pid : processes_.clear()) {
      if (!restart) sampler_->forget_process(pid);
    }
    stack_.clear();
    stacks_.reset();
    runtimes_.reset();
    auto& running = plugins_.runtimes;
    if (restart) {
      SamplerStats old = sampler_->stats();
      retired_stats_.samples += old.samples;
      retired_stats_.lost += old.lost;
      retired_stats_.events_lost += old.events_lost;
      retired_stats_.snapshots_cut += old.snapshots_cut;
      retired_stats_.leaf_copies_dropped += old.leaf_copies_dropped;
      lost_reported_ = 0;
      snapshots_cut_reported_ = 0;
      leaf_copies_dropped_reported_ = 0;
      running.clear();  // frees their slots in the old sampler, before it goes
      sampler_ = std::move(sampler);
    } else {
      std::erase_if(running, [&](const auto& runtime) { return swapped.count(runtime.name); });
    }
    for (auto& runtime : runtimes) running.push_back(std::move(runtime));
    // In config order, as at start: the order interpreter plugins probe in.
    std::sort(running.begin(), running.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
    runtimes_ = std::make_unique<RuntimeAttacher>(plugins_);
    runtimes_->set_exec_images(exec_image_lookup());
    sampler_->set_snapshot_new_processes(plugins_.native() != nullptr);
    share_unwind_rules(plugins_, processes_);
    stacks_ = make_stack_builder();
  } else if (new_filters) {
    for (std::uint32_t pid : processes_.clear()) sampler_->forget_process(pid);  // re-read
  }

  if (next.priority != config_.priority) {
    apply_reader_priority(next.priority);
    if (sinks_) sinks_->set_priority(next.priority);
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

  if (new_runtimes) attach_running_processes();
  if (restart) {
    if (Status started = sampler_->start(); !started) {
      broken_ = true;
      return started;
    }
    logger_->info("sampler restarted, samples stopped meanwhile: {}", restart_reason);
  }
  if (reading) start_reader();
  std::string runtime_change = "unchanged";
  if (restart) {
    runtime_change = "restarted with the sampler";
  } else if (!swapped.empty()) {
    runtime_change = joined(swapped) + " swapped in place, the sampler kept running";
  }
  logger_->info("config reloaded from {}: runtimes {}; sinks {}", config_.source, runtime_change,
                closing.empty() ? std::string("unchanged") : joined(closing) + " replaced");
  if (was_sampling_all != config_.pids.empty()) {
    logger_->info("sampling {}", config_.pids.empty() ? "every process" : "the given processes");
  }
  return Status::ok();
}

void Agent::replace_sinks(const std::set<std::string>& closing,
                          std::vector<PluginInstance<SinkPlugin>> added, const Config& next) {
  // What is queued for a closing sink is delivered to it first; the other
  // sinks run on undisturbed.
  finish_sinks(&closing);
  for (auto& sink : added) {
    sinks_->add(sink_entry(sink, next));
    plugins_.sinks.push_back(std::move(sink));
  }
  if (plugins_.sinks.empty()) logger_->warn("no sink is enabled: profiles will not be kept");
}

}  // namespace ember

#include "agent.hpp"

#include <malloc.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <unordered_set>

#include "agent/malloc_tuning.hpp"
#include "agent/memory_report.hpp"
#include "agent/unwind_rules.hpp"
#include "agent/window_bytes.hpp"
#include "auxv.hpp"
#include "logging.hpp"
#include "plugin_host/frame_kind_registry.hpp"
#include "plugin_host/guarded_call.hpp"
#include "sampler/privileges.hpp"
#include "sampler/wire.hpp"

namespace ember {

std::int64_t realtime_ns() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  return std::int64_t(now.tv_sec) * 1000000000 + now.tv_nsec;
}

std::int64_t monotonic_ns() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return std::int64_t(now.tv_sec) * 1000000000 + now.tv_nsec;
}

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return {};
  return name;
}

namespace {

// A BPF timestamp (CLOCK_MONOTONIC) as wall-clock time.
std::int64_t to_realtime(std::uint64_t monotonic) {
  return realtime_ns() - (monotonic_ns() - static_cast<std::int64_t>(monotonic));
}

}  // namespace

Status Agent::create(const Config& config, std::unique_ptr<Agent>& out) {
  std::string missing = missing_privileges();
  if (!missing.empty()) return Status::error(missing);

  // Before the agent's threads (sinks, reader) make arenas of their own.
  const std::string malloc_tuned = configure_malloc();
  std::unique_ptr<Agent> agent(new Agent());
  agent->config_ = config;
  agent->logger_ = component_logger("agent");
  agent->logger_->debug("{}", malloc_tuned);
  agent->hostname_ = host_name();
  agent->processes_.set_labeler(std::make_unique<ProcessLabeler>(config));
  for (const std::string& pattern : config.include) agent->include_.emplace_back(pattern);
  for (const std::string& pattern : config.exclude) agent->exclude_.emplace_back(pattern);

  Status sampler = Sampler::open(sampler_options(config), agent->sampler_);
  if (!sampler) return sampler;

  Status plugins = create_plugins(config, agent->sampler_.get(), agent->plugins_);
  if (!plugins) return plugins;
  if (!agent->plugins_.native()) {
    agent->logger_->warn(
        "no native runtime plugin is enabled: user frames will not be named "
        "(enable [runtime.native])");
  }
  if (agent->plugins_.sinks.empty()) {
    agent->logger_->warn("no sink is enabled: profiles will not be kept (enable a [sink.*])");
  }
  agent->start_sinks();
  // Twice the ring: a worker busy for a while (a burst of new processes'
  // binaries read and named the first time) finds what came meanwhile.
  // Only a backlog touches its memory.
  agent->queue_ = std::make_unique<RecordQueue>(2 * std::size_t{agent->sampler_->ring_bytes()});
  agent->runtimes_ = std::make_unique<RuntimeAttacher>(agent->plugins_);
  agent->runtimes_->set_exec_images(agent->exec_image_lookup());
  agent->processes_.set_exec_images(agent->exec_image_lookup());
  agent->sampler_->set_snapshot_new_processes(agent->plugins_.native() != nullptr);
  share_unwind_rules(agent->plugins_, agent->processes_);
  agent->stacks_ = agent->make_stack_builder();
  Agent* self = agent.get();
  agent->handler_ = [self](const void* data, std::size_t size) { self->on_record(data, size); };
  out = std::move(agent);
  return Status::ok();
}

Agent::~Agent() {
  stop_reader();
  finish_sinks(nullptr);
}

void Agent::start_reader() {
  reader_ = std::make_unique<ReaderThread>(*sampler_, *queue_, queue_drops_, config_.priority);
}

void Agent::stop_reader() {
  if (reader_) {
    reader_->stop();
    longest_ring_read_ns_ = std::max(longest_ring_read_ns_, reader_->take_longest_pass_ns());
  }
  reader_.reset();
}

Status Agent::run(const std::atomic<bool>& stop, double duration_seconds) {
  attach_running_processes();
  // Attaching read every process' binaries (symbols, unwind tables) through
  // temporary buffers: give the freed heap back before sampling starts.
  malloc_trim(0);
  open_mmap_events();
  if (Status sampling = sampler_->start(); !sampling) return sampling;
  start_reader();

  const std::int64_t started = monotonic_ns();
  const std::int64_t origin = duration_origin_ns_ ? std::min(duration_origin_ns_, started) : started;
  std::int64_t deadline = sampling_deadline(started, duration_seconds);
  const std::int64_t last_deadline =
      min_samples_ && deadline != INT64_MAX
          ? std::max(deadline,
                     origin + std::int64_t(std::max(max_seconds_, duration_seconds) * 1e9))
          : deadline;
  std::int64_t next_cpu_check = started + 1000000000;
  schedule(started);
  if (metrics_ns_) step_metrics();  // the bases the first step measures from
  window_start_ns_ = realtime_ns();
  logger_->info("sampling {} at {} Hz, {} s windows, {} KiB ring buffer",
                config_.pids.empty() ? "every process" : "the given processes",
                config_.frequency_hz, config_.window_seconds, sampler_->ring_bytes() / 1024);
  if (deadline != INT64_MAX && origin != started) {
    logger_->debug("setting up took {:.2f} s of the {:.1f} s duration: sampling for {:.2f} s",
                   (started - origin) / 1e9, duration_seconds, (deadline - started) / 1e9);
  }
  if (when_sampling_) when_sampling_();

  Status result = Status::ok();
  bool extended = false;  // past the duration, for min_samples_
  while (!stop.load()) {
    if (extended && profiled_samples_ >= min_samples_) break;
    if (monotonic_ns() >= deadline) {
      if (profiled_samples_ >= min_samples_) break;
      if (extended || deadline == last_deadline) {
        // Setting up can take all the time allowed (a sanitizer build, a
        // host attaching hundreds of processes): say so, not just "short".
        logger_->warn("only {} of the {} samples asked for within {:.1f} s (setting up took "
                      "{:.1f} s of it)",
                      profiled_samples_, min_samples_, max_seconds_, (started - origin) / 1e9);
        break;
      }
      logger_->info("{} of {} samples after {:.1f} s: recording on, for at most {:.1f} s more",
                    profiled_samples_, min_samples_, duration_seconds,
                    (last_deadline - deadline) / 1e9);
      deadline = last_deadline;
      extended = true;
      continue;
    }
    // Samples come without a wakeup until the ring is well filled: the
    // reader looks every few milliseconds, so that a sample is captured
    // while its process, and the code objects it ran, still exist.
    int timeout = static_cast<int>(std::clamp<std::int64_t>(
        (std::min({deadline, next_close_, next_metrics_}) - monotonic_ns()) / 1000000, 0,
        kMaxPollWaitMs));
    if (!pending_.empty()) timeout = 0;  // samples to name: no waiting
    if (reader_->failed()) {
      result = reader_->error();
      break;
    }
    if (mmap_events_) mmap_events_->drain();  // before the samples that need them
    if (!pending_.full()) {
      queue_->take(timeout, handler_, pending_.room(), monotonic_ns() + kTakeSliceNs);
    }
    name_pending(monotonic_ns() + kNamingSliceNs);
    if (reload_requested_ && reload_requested_->exchange(false)) {
      handle_reload();
      if (broken_) {
        result = Status::error("the agent could not restart its sampler after a config reload");
        break;
      }
    }
    const std::int64_t now = monotonic_ns();
    if (now >= next_cpu_check) {
      sampler_->attach_new_cpus();  // CPUs brought online (hotplug) start sampling within 1 s
      // A second after its exit record, no sample of a process is left in
      // the ring or the queue (a second before the newest sample taken from
      // it), nor waiting to be named (a second before the oldest that is):
      // its handlers can go.
      std::int64_t horizon = realtime_ns();
      if (last_sample_ns_) horizon = std::min(horizon, to_realtime(last_sample_ns_));
      if (!pending_.empty()) {
        horizon = std::min(horizon, to_realtime(pending_.oldest_time_ns()));
      }
      // What they held (unwind tables, symbol caches) goes back to the
      // system now, not at the window's close: under process churn the
      // heap would otherwise grow for a whole window. The window keeps
      // what it lists of those it has samples of.
      if (auto gone = processes_.remove_exited(horizon - 1000000000); !gone.empty()) {
        for (const auto& program : gone) window_programs_.leaving(*program);
        gone.clear();
        malloc_trim(0);
      }
      processes_.forget_exits_before(horizon - 1000000000);
      forget_old_exec_images();
      resume_setups();
      next_cpu_check = now + 1000000000;
      if (progress_) report_progress_now(started, true);
    }
    if (now >= next_close_) {
      close_window(realtime_ns());  // takes the step that ends the window
      next_close_ += window_ns_;
      if (next_close_ <= now) {
        // Closed a whole window late: the next one starts now, full length,
        // rather than a burst of windows of a few milliseconds to catch up.
        logger_->warn("window closed {:.1f} s late: the reader thread did not get the CPU "
                      "(see [agent] priority)",
                      (now - (next_close_ - window_ns_)) / 1e9);
        next_close_ = now + window_ns_;
      }
      if (metrics_ns_) next_metrics_ = monotonic_ns() + metrics_ns_;
    } else if (window_too_big()) {
      // Under process churn most stacks of a window are new ones (each
      // process' start-up): closed early, the open window and the copy
      // the sinks write stay bounded. The next still ends on schedule.
      logger_->debug("window closed early: its bookkeeping took {:.1f} MiB ([agent] max_window_mb)",
                     aggregator_.open_window_bytes() / 1048576.0);
      close_window(realtime_ns());
      if (metrics_ns_) next_metrics_ = monotonic_ns() + metrics_ns_;
    } else if (now >= next_metrics_) {
      step_metrics();
      next_metrics_ += metrics_ns_;
      if (next_metrics_ <= now) next_metrics_ = now + metrics_ns_;  // fell behind: skip steps
    }
  }
  if (progress_) report_progress_now(started, false);
  if (!broken_) {
    const std::int64_t stopping = monotonic_ns();
    sampler_->stop();
    const std::int64_t detached = monotonic_ns();
    stop_reader();  // every sample submitted is now queued, or counted lost
    drain_until(monotonic_ns() + kStopDrainNs);
    const std::int64_t drained = monotonic_ns();
    stopping_ = true;  // the last window: it pushes no queued one out
    close_window(realtime_ns());
    logger_->debug("stop: {:.0f} ms past the deadline, sampler detached in {:.0f} ms, queue "
                   "drained in {:.0f} ms, window closed in {:.0f} ms",
                   deadline == INT64_MAX ? 0.0 : (stopping - deadline) / 1e6,
                   (detached - stopping) / 1e6, (drained - detached) / 1e6,
                   (monotonic_ns() - drained) / 1e6);
  }
  stop_reader();
  Status closed = finish_sinks(nullptr);
  if (result && !closed) result = closed;
  SamplerStats stats = sampler_ ? sampler_->stats() : SamplerStats{};
  // Lost by cause: what the sampler counts (a sample or a process event
  // that found the ring buffer full) and what the reader could not use.
  logger_->info(
      "done: {} samples, {} lost to a full ring buffer, {} malformed records, {} process events "
      "lost to a full ring buffer, {} samples and {} process events lost to a full queue (the "
      "agent fell behind), {} samples still unnamed {} ms after the stop (dropped)",
      stats.samples + retired_stats_.samples, stats.lost + retired_stats_.lost, malformed_records_,
      stats.events_lost + retired_stats_.events_lost, queue_drops_.samples.load(),
      queue_drops_.events.load(), unnamed_at_stop_, kStopDrainNs / 1000000);
  if (std::uint64_t cut = stats.snapshots_cut + retired_stats_.snapshots_cut; cut > 0) {
    logger_->info("{} samples got only the leaf stack copy: the ring buffer was over half full",
                  cut);
  }
  if (std::uint64_t dropped = stats.leaf_copies_dropped + retired_stats_.leaf_copies_dropped;
      dropped > 0) {
    logger_->info("{} samples got no leaf stack copy: the ring buffer was over three quarters full",
                  dropped);
  }
  logger_->debug("record queue: at most {:.1f} of {:.1f} MiB used", queue_->peak_bytes() / 1048576.0,
                 queue_->capacity_bytes() / 1048576.0);
  if (execs_attached_ + execs_deferred_ > 0) {
    logger_->debug("execs: {} attached at once, {} at their first sample (if any)", execs_attached_,
                   execs_deferred_);
  }
  return result;
}

// Counted from the command's start (count_duration_from), the sampling ends
// the stop's reserve before the duration does; setting up and the reserve
// take at most a tenth of the duration, and at most 1 s, from the sampling
// (a short recording on a busy host still samples for most of its time).
std::int64_t Agent::sampling_deadline(std::int64_t started, double duration_seconds) const {
  if (duration_seconds <= 0) return INT64_MAX;
  const auto length = std::int64_t(duration_seconds * 1e9);
  if (!duration_origin_ns_) return started + length;
  const std::int64_t at_most_taken = std::min(kMaxSetupTakenNs, length / 10);
  return std::max(duration_origin_ns_ + length - kStopReserveNs,
                  started + length - at_most_taken);
}

void Agent::on_record(const void* data, std::size_t size) {
  if (size < sizeof(ember_record_header)) {
    ++malformed_records_;
    return;
  }
  const auto* header = static_cast<const ember_record_header*>(data);
  switch (header->type) {
    case EMBER_RECORD_SAMPLE:
      if (!unpack_sample(data, size, *sample_)) break;
      note_sample_time(header->time_ns);
      capture(*sample_);
      return;
    case EMBER_RECORD_EXEC:
      processes_.started(header->pid);
      on_process_start(header->pid, true);
      name_from_exec(header->pid, header->comm);
      return;
    case EMBER_RECORD_FORK:  // tid: the parent's pid
      processes_.started(header->pid);
      on_process_fork(header->pid, header->tid);
      return;
    case EMBER_RECORD_EXIT:
      forked_from_.erase(header->pid);
      processes_.mark_exited(header->pid, to_realtime(header->time_ns));
      // Exited before its first sample: only its sampler entry (the wake flag) is left.
      if (deferred_execs_.erase(header->pid)) sampler_->forget_process(header->pid);
      return;
  }
  ++malformed_records_;
}

// The sample stream's longest pause per window (reported at debug level):
// what a reload or a full ring buffer cost, from the samples' own times.
void Agent::note_sample_time(std::uint64_t time_ns) {
  if (last_sample_ns_ && time_ns > last_sample_ns_) {
    longest_sample_gap_ns_ = std::max(longest_sample_gap_ns_, time_ns - last_sample_ns_);
  }
  last_sample_ns_ = std::max(last_sample_ns_, time_ns);
}

// What needs the sample's process alive, as it comes off the ring: attach,
// unwind, the handlers' reads of its memory (interpreter frames, JIT code,
// labels). Named and counted later, by name_pending().
void Agent::capture(const ember_sample& sample) {
  ProcessState& process = process_for(sample.header.pid, false);
  if (!deferred_execs_.empty() && deferred_execs_.erase(sample.header.pid)) {
    start_deferred(process);
  }
  process.last_sampled_window = window_number_;
  if (process.filtered_out) return;
  if (!process.loader_path.empty()) after_loader(process, sample.user_ip);
  if (process.info.comm.empty()) {
    process.info.comm.assign(sample.header.comm, strnlen(sample.header.comm, EMBER_COMM_LEN));
  }
  if (!process.info.cgroup_id) process.info.cgroup_id = sample.cgroup_id;
  PendingSample& pending = pending_.push();
  pending.process = processes_.share(sample.header.pid);
  pending.pid = sample.header.pid;
  pending.tid = sample.header.tid;
  pending.time_ns = sample.header.time_ns;
  std::copy_n(sample.header.comm, EMBER_COMM_LEN, pending.comm);
  Status captured =
      guarded_call("a runtime plugin", [&] { stacks_->capture(sample, process, pending.stack); });
  if (!captured) {
    pending_.cancel_last();
    if (plugin_failures_++ == 0)
      logger_->error("{} (logged once; the sample is dropped)", captured.message());
    return;
  }
  pending.labels.clear();
  if (!guarded_call("a runtime plugin's labels", [&] {
        for (const auto& handler : process.handlers) handler->labels(sample, pending.labels);
      })) {
    pending.labels.clear();  // (the sample is kept, without labels)
  }
}

void Agent::report_progress_now(std::int64_t started, bool sampling) {
  SamplerStats stats = sampler_->stats();
  progress_({(monotonic_ns() - started) / 1e9, profiled_samples_,
             stats.lost + retired_stats_.lost + queue_dropped_samples() + unnamed_at_stop_,
             sampled_pid_count_, sampling});
}

void Agent::note_sampled_pid(std::uint32_t pid) {
  if (pid >= sampled_pids_.size()) sampled_pids_.resize(std::size_t{pid} + 1 + pid / 2);
  if (sampled_pids_[pid]) return;
  sampled_pids_[pid] = true;
  ++sampled_pid_count_;
}

void Agent::drain_until(std::int64_t deadline) {
  while (!queue_->empty() && monotonic_ns() < deadline) {
    queue_->take(0, handler_, pending_.room(), deadline);
    name_pending(deadline);
  }
  name_pending(deadline);
  // Past the deadline: counted in the last window's lost samples and the
  // final log line, so the profile never claims more than it holds.
  unnamed_at_stop_ += queue_->discard([](const void* data, std::size_t size) {
    return size >= sizeof(ember_record_header) &&
           static_cast<const ember_record_header*>(data)->type == EMBER_RECORD_SAMPLE;
  });
  while (!pending_.empty()) {
    pending_.pop();
    ++unnamed_at_stop_;
  }
  if (unnamed_at_stop_ > 0) {
    logger_->warn("{} samples were still unnamed {} ms after the stop: dropped, counted lost",
                  unnamed_at_stop_, kStopDrainNs / 1000000);
  }
}

// Names and counts captured samples, oldest first, until none is left or
// `deadline` (monotonic ns) has passed.
void Agent::name_pending(std::int64_t deadline) {
  while (!pending_.empty()) {
    PendingSample& pending = pending_.front();
    Status built = guarded_call("a runtime plugin", [&] {
      stacks_->finish(pending.stack, *pending.process, stack_);
    });
    if (built) {
      const std::uint32_t key = window_programs_.key_of(*pending.process);
      aggregator_.add(key, pending.tid, stack_, 1, pending.labels);
      ++profiled_samples_;
      if (progress_) note_sampled_pid(pending.pid);
      char thread_name[EMBER_COMM_LEN + 1] = {};
      std::copy_n(pending.comm, EMBER_COMM_LEN, thread_name);
      aggregator_.name_thread(key, pending.tid, thread_name);
    } else if (plugin_failures_++ == 0) {
      logger_->error("{} (logged once; the sample is dropped)", built.message());
    }
    pending_.pop();
    if (deadline != INT64_MAX && monotonic_ns() >= deadline) break;
  }
}

// A sample ran code outside every mapping known of its process (a dlopen,
// JIT code): its maps are read again and new binaries probed, rate-limited.
std::unique_ptr<StackBuilder> Agent::make_stack_builder() {
  return std::make_unique<StackBuilder>(plugins_.native(), [this](ProcessState& process) {
    return runtimes_->refresh_for_unknown_code(process, monotonic_ns());
  });
}

ProcessState& Agent::process_for(std::uint32_t pid, bool replace) {
  ProcessState* parent = nullptr;
  if (!forked_from_.empty()) {
    auto forked = forked_from_.find(pid);
    if (forked != forked_from_.end()) {
      const std::uint32_t parent_pid = forked->second;
      forked_from_.erase(forked);
      replace = true;  // not an exited process whose pid it reuses
      // By the time the reader sees the child's first sample, the child
      // may have exec'd: /proc shows the new image, the sample ran the old.
      if (parent_pid != pid) parent = &process_for(parent_pid, false);
      if (parent && (parent->filtered_out || parent->mappings.empty())) parent = nullptr;
    }
  }
  bool is_new = replace;
  // Its samples so far in the window stay its own.
  if (const ProcessState* leaving = replace ? processes_.find(pid) : nullptr) {
    window_programs_.leaving(*leaving);
  }
  ProcessState& process = parent    ? processes_.fork(pid, *parent)
                          : replace ? processes_.replace(pid)
                                    : processes_.get(pid, is_new);
  if (is_new) {
    process.filtered_out = filtered_out(process);
    if (!process.filtered_out) {
      if (config_.metrics_interval_ms) metrics_.track(pid, monotonic_ns());
      Status attached =
          guarded_call("attaching runtime plugins", [&] { runtimes_->attach(process); });
      if (!attached) logger_->error("pid {}: {}", pid, attached.message());
    } else {
      // Never unwound: the snapshot a new process starts with is no use.
      sampler_->set_process_flags(pid, EMBER_PROCESS_STACK_SNAPSHOT, false);
    }
  }
  return process;
}

void Agent::on_process_fork(std::uint32_t pid, std::uint32_t parent) {
  const ProcessState* from = processes_.find(parent);
  if (from && from->has_interpreter()) {
    on_process_start(pid, false);
    return;
  }
  // A pid of an exited process reused: the child is not that process.
  if (const ProcessState* known = processes_.find(pid); known && !known->exited) return;
  // Bounded: exit records lost to a full ring buffer leave entries behind.
  if (forked_from_.size() >= 4096) forked_from_.clear();
  forked_from_[pid] = parent;
}

// Interpreter plugins walk their frames in BPF only once attached, so a
// process that execs, or that an interpreter process forks, is attached as
// soon as the sampler says so (it wakes the reader for these), not at its
// first sample: those would lack interpreter frames.
void Agent::on_process_start(std::uint32_t pid, bool exec) {
  if (exec) forked_from_.erase(pid);  // its samples from now on run the new image
  bool wanted = config_.pids.empty() || config_.follow_children ||
                std::find(config_.pids.begin(), config_.pids.end(), pid) != config_.pids.end();
  const bool known = processes_.find(pid) != nullptr;
  if (!known && !(wanted && runtimes_->probes_binaries())) return;
  if (exec && !known) {
    using Executable = RuntimeAttacher::Executable;
    Executable program = runtimes_->executable_claimed(pid);
    if (program == Executable::gone) {  // exited already: nothing to attach
      logger_->trace("pid {} exec: gone", pid);
      ++execs_deferred_;
      return;
    }
    if (program == Executable::not_claimed) {
      // No plugin claims the program itself (a compiler, a shell tool): an
      // interpreter can only come from a library its loader maps, after
      // this record. Most such processes exit before their first sample,
      // so attach at that sample (the sampler wakes the reader for it).
      sampler_->set_process_flags(pid, EMBER_PROCESS_WAKE_READER, true);
      deferred_execs_.insert(pid);
      logger_->trace("pid {} exec: attached at its first sample", pid);
      ++execs_deferred_;
      return;
    }
  }
  deferred_execs_.erase(pid);
  // The old image's handlers go now (they clear their BPF state for the pid
  // before the new image's are attached): its samples are named first.
  if (known && pending_.holds(pid)) name_pending(INT64_MAX);
  ProcessState& process = process_for(pid, true);
  if (exec) {
    logger_->trace("pid {} exec: attached at once", pid);
    ++execs_attached_;
  }
  if (!exec || process.filtered_out || process.has_interpreter() || !runtimes_->probes_binaries()) {
    return;
  }
  watch_loader(process);
}

// A program that exits within a millisecond is often gone from /proc when its
// exec record is read: the record's name (the new image's) is what is left.
void Agent::name_from_exec(std::uint32_t pid, const char (&comm)[EMBER_COMM_LEN]) {
  ProcessState* process = processes_.find(pid);
  if (process && process->info.comm.empty()) {
    process->info.comm.assign(comm, strnlen(comm, EMBER_COMM_LEN));
  }
}

// A dynamically linked program: its loader maps the interpreter's library
// (libpython...) after exec. Look again at its samples until one runs outside
// the loader; the sampler wakes the reader for each meanwhile.
bool Agent::watch_loader(ProcessState& process) {
  std::optional<std::uint64_t> base = loader_base(process.info.pid);
  const Mapping* loader = base && *base ? find_mapping(process.mappings, *base) : nullptr;
  if (!loader) return false;
  process.loader_path = loader->path;
  sampler_->set_process_flags(process.info.pid, EMBER_PROCESS_WAKE_READER, true);
  return true;
}

// The first sample of a process whose exec was not attached at once: attached
// now (process_for), then watched like an exec'd one while its loader runs.
void Agent::start_deferred(ProcessState& process) {
  if (process.filtered_out || process.has_interpreter() || !runtimes_->probes_binaries() ||
      !watch_loader(process)) {
    sampler_->set_process_flags(process.info.pid, EMBER_PROCESS_WAKE_READER, false);
  }
}

void Agent::after_loader(ProcessState& process, std::uint64_t user_ip) {
  Status refreshed =
      guarded_call("refreshing runtime plugins", [&] { runtimes_->refresh(process); });
  if (!refreshed) logger_->error("pid {}: {}", process.info.pid, refreshed.message());
  const Mapping* at = find_mapping(process.mappings, user_ip);
  if (process.has_interpreter() || !at || at->path != process.loader_path) {
    process.loader_path.clear();
    sampler_->set_process_flags(process.info.pid, EMBER_PROCESS_WAKE_READER, false);
  }
}

void Agent::resume_setups() {
  std::vector<std::shared_ptr<ProcessState>> waiting;
  processes_.setting_up(waiting);
  for (const auto& process : waiting) {
    Status refreshed =
        guarded_call("refreshing runtime plugins", [&] { runtimes_->refresh(*process); });
    if (!refreshed) logger_->error("pid {}: {}", process->info.pid, refreshed.message());
  }
}

// Interpreter plugins walk their frames in BPF only once attached, and the
// native plugin decides which processes get full stack snapshots when it
// attaches: attach to the processes already running now, so their first
// samples have it too. Whole-system runs without interpreter plugins attach
// on first sample instead (most processes never run while profiled).
void Agent::attach_running_processes() {
  if (!runtimes_->probes_binaries() && config_.pids.empty()) return;
  std::vector<std::uint32_t> pids = config_.pids;
  if (pids.empty()) {
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
      const std::string name = entry.path().filename().string();
      if (name.find_first_not_of("0123456789") == std::string::npos) {
        pids.push_back(static_cast<std::uint32_t>(std::stoul(name)));
      }
    }
  }
  for (std::uint32_t pid : pids) {
    if (pid != static_cast<std::uint32_t>(getpid())) process_for(pid, false);
  }
  logger_->debug("attached to {} running processes", processes_.size());
}

bool Agent::filtered_out(const ProcessState& process) const {
  auto matches = [&](const std::regex& pattern) {
    return std::regex_search(process.info.comm, pattern) ||
           std::regex_search(process.info.exe, pattern);
  };
  if (!include_.empty() && std::none_of(include_.begin(), include_.end(), matches)) return true;
  return std::any_of(exclude_.begin(), exclude_.end(), matches);
}

bool Agent::window_too_big() const {
  return config_.max_window_mb &&
         aggregator_.open_window_bytes() >= std::size_t{config_.max_window_mb} << 20;
}

void Agent::schedule(std::int64_t now) {
  window_ns_ = std::int64_t(config_.window_seconds) * 1000000000;
  next_close_ = now + window_ns_;
  metrics_ns_ = std::int64_t(config_.metrics_interval_ms) * 1000000;
  next_metrics_ = metrics_ns_ ? now + metrics_ns_ : INT64_MAX;
}

// Processes sampled in this window or the last: a busy process may not have
// had its first sample of a new window yet.
void Agent::step_metrics() {
  processes_.sampled_since(window_number_ > 1 ? window_number_ - 1 : 0, metrics_pids_);
  last_metrics_step_ns_ = monotonic_ns();
  metrics_.step(realtime_ns(), last_metrics_step_ns_, metrics_pids_);
}

void Agent::close_window(std::int64_t end_ns) {
  name_pending(INT64_MAX);  // the window's samples are all in it
  auto window = std::make_shared<Window>(aggregator_.take(window_start_ns_, end_ns));
  frame_kind_registry().describe(*window);
  window->frequency_hz = config_.frequency_hz;
  window->host = hostname_;
  SamplerStats stats = sampler_->stats();
  window->lost_samples = stats.lost - lost_reported_;
  lost_reported_ = stats.lost;
  if (window->lost_samples > 0) {
    logger_->warn(
        "{} samples lost in this window: the ring buffer was full "
        "(raise [sampler] ring_buffer_kib)",
        window->lost_samples);
  }
  if (stats.snapshots_cut > snapshots_cut_reported_) {
    logger_->info(
        "{} samples in this window got only the leaf stack copy, so their stacks may end "
        "[truncated]: the ring buffer was over half full (raise [sampler] "
        "ring_buffer_kib)",
        stats.snapshots_cut - snapshots_cut_reported_);
    snapshots_cut_reported_ = stats.snapshots_cut;
  }
  if (stats.leaf_copies_dropped > leaf_copies_dropped_reported_) {
    logger_->info(
        "{} samples in this window got no leaf stack copy, so their stacks may miss the caller "
        "of a leaf function without a frame pointer, or end [truncated] there: the ring "
        "buffer was over three quarters full (raise [sampler] ring_buffer_kib)",
        stats.leaf_copies_dropped - leaf_copies_dropped_reported_);
    leaf_copies_dropped_reported_ = stats.leaf_copies_dropped;
  }
  // The queue's and the stop's losses are the worker's: a bigger ring
  // would not have kept them.
  const std::uint64_t queue_lost = queue_dropped_samples() + unnamed_at_stop_;
  if (queue_lost > queue_lost_reported_) {
    logger_->warn("{} samples lost in this window: the agent fell behind reading them",
                  queue_lost - queue_lost_reported_);
    window->lost_samples += queue_lost - queue_lost_reported_;
    queue_lost_reported_ = queue_lost;
  }

  window_programs_.fill(*window, processes_);
  std::unordered_set<std::uint32_t> pids;
  for (const StackCount& count : window->samples) pids.insert(count.pid);
  if (config_.metrics_interval_ms) {
    // The step that ends the window, unless one just did (a sliver of a step
    // measures nothing but tick rounding).
    const std::int64_t tenth_step = std::int64_t(config_.metrics_interval_ms) * 100000;
    if (monotonic_ns() - last_metrics_step_ns_ >= tenth_step) step_metrics();
    metrics_.take(window->host_metrics, window->process_metrics);
    std::erase_if(window->process_metrics,
                  [&](const ProcessMetrics& m) { return !pids.count(m.pid); });
    metrics_.forget_unseen();
  }
  // The longest read of the ring: past the poll's wait, the reader waited
  // for a CPU (what a full ring buffer would come from).
  const std::int64_t longest_read_ns =
      std::max(longest_ring_read_ns_, reader_ ? reader_->take_longest_pass_ns() : 0);
  longest_ring_read_ns_ = 0;
  logger_->debug(
      "window closed: {} samples, {} stacks, {} processes, longest gap between samples {:.1f} ms, "
      "longest read of the ring {:.1f} ms",
      window->total_samples(), window->stacks.size(), window->processes.size(),
      longest_sample_gap_ns_ / 1e6, longest_read_ns / 1e6);
  longest_sample_gap_ns_ = 0;
  const std::size_t closed_bytes =
      logger_->should_log(spdlog::level::debug) ? window_bytes(*window) : 0;
  sinks_->submit(std::move(window), stopping_);
  log_sink_status();

  // Processes without samples for this many windows are forgotten.
  constexpr std::uint64_t kIdleWindows = 5;
  std::uint64_t idle_before = window_number_ > kIdleWindows ? window_number_ - kIdleWindows : 0;
  for (std::uint32_t pid : processes_.remove_exited_and_idle(idle_before)) {
    sampler_->forget_process(pid);
  }
  // Deferred execs whose exit record was lost (a full ring buffer).
  if (deferred_execs_.size() > 4096) {
    std::erase_if(deferred_execs_, [&](std::uint32_t pid) {
      if (kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) return false;
      sampler_->forget_process(pid);
      return true;
    });
  }
  // What exited processes and the window held is free now; without a trim
  // glibc keeps it, and the agent's RSS only ever grows (a few ms per window).
  malloc_trim(0);
  // What grows, if anything: the bounded structures beside the RSS.
  if (logger_->should_log(spdlog::level::debug)) {
    logger_->debug(
        "memory: {}; {} processes tracked, {} exec images, {} samples pending, record queue "
        "{:.1f} MiB, sinks' queues {:.1f} MiB, the window just closed ~{:.1f} MiB",
        describe_memory(own_memory()), processes_.size(), mmap_events_ ? mmap_events_->images() : 0,
        pending_.size(), queue_->queued_bytes() / 1048576.0, sinks_->queued_bytes() / 1048576.0,
        closed_bytes / 1048576.0);
  }
  ++window_number_;
  window_start_ns_ = end_ns;
}

}  // namespace ember

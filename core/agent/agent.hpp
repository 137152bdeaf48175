// The agent: sampler → process table → stack builder → aggregator → sinks,
// windows closed on time and on shutdown.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "aggregate/aggregator.hpp"
#include "config/config.hpp"
#include "metrics/metrics_collector.hpp"
#include "pending_samples.hpp"
#include "plugin_host/plugin_set.hpp"
#include "process/process_table.hpp"
#include "reader_thread.hpp"
#include "record_queue.hpp"
#include "runtime_attacher.hpp"
#include "sampler/mmap_event_stream.hpp"
#include "sampler/sampler.hpp"
#include "sink_runner.hpp"
#include "stack_builder.hpp"
#include "window_programs.hpp"

namespace spdlog {
class logger;
}

namespace ember {

// What a run has done so far, for a progress display.
struct RunProgress {
  double seconds = 0;           // since sampling started
  std::uint64_t samples = 0;    // profiled
  std::uint64_t lost = 0;       // to a full ring buffer or a full queue
  std::size_t processes = 0;    // distinct processes with a sample
  bool sampling = true;         // false once, when sampling has stopped
};

class Agent {
 public:
  // Checks privileges, loads the sampler and the plugins.
  static Status create(const Config& config, std::unique_ptr<Agent>& out);
  ~Agent();

  // Samples until `stop` is set or `duration_seconds` (0 = forever) passed,
  // then closes the open window and the sinks.
  Status run(const std::atomic<bool>& stop, double duration_seconds);
  // Makes run()'s duration count from `monotonic_ns` (when a command
  // started) rather than from when sampling starts: setting up and the stop
  // are in it, so the command takes about the duration of wall time. They
  // take at most a tenth of the duration (at most 1 s) from the sampling.
  void count_duration_from(std::int64_t monotonic_ns) { duration_origin_ns_ = monotonic_ns; }
  // Called once run() samples (e.g. to let a launched command go on).
  void when_sampling(std::function<void()> started) { when_sampling_ = std::move(started); }

  // Called about once a second while run() samples, and once more when it
  // stops sampling (with `sampling` false).
  void report_progress(std::function<void(const RunProgress&)> progress) {
    progress_ = std::move(progress);
  }

  // Makes run() go on past its duration until `samples` samples are in the
  // profile, for at most `max_seconds` in all: a statistic that needs that
  // many samples gets them on a busy machine too.
  void extend_until_samples(std::uint64_t samples, double max_seconds) {
    min_samples_ = samples;
    max_seconds_ = max_seconds;
  }

  // When `*requested` is set (SIGHUP), the run loop clears it, calls `load`
  // for the new config and applies it with reload(); a config that does not
  // load or apply is logged and the running one kept.
  void enable_reload(std::atomic<bool>* requested, std::function<Status(Config&)> load);

  // Applies `next` while running. Only what changed is rebuilt: the sampler
  // (and every runtime plugin) when [sampler], pids or plugin_dirs changed;
  // otherwise a [runtime.*] change swaps just those plugins while the sampler
  // runs on (no sample lost); a sink when its table changed (unchanged sinks,
  // like the store, stay open). The open window is closed first when the
  // sampler, a runtime, the process filters, the window length or the
  // metrics step change. Errors before the switch leave everything as it was.
  Status reload(const Config& next);

 private:
  Agent() = default;
  void on_record(const void* data, std::size_t size);
  std::int64_t sampling_deadline(std::int64_t started, double duration_seconds) const;
  void capture(const ember_sample& sample);
  void name_pending(std::int64_t deadline);
  // After the sampler stopped: what is queued is captured and named until
  // `deadline`; what is left then is counted (unnamed_at_stop_), not kept.
  void drain_until(std::int64_t deadline);
  void start_reader();
  void stop_reader();
  std::uint64_t queue_dropped_samples() const { return queue_drops_.samples.load(); }
  void note_sample_time(std::uint64_t time_ns);
  void report_progress_now(std::int64_t started, bool sampling);  // to progress_
  void note_sampled_pid(std::uint32_t pid);
  ProcessState& process_for(std::uint32_t pid, bool replace);
  std::unique_ptr<StackBuilder> make_stack_builder();
  // agent_mmap_events.cpp
  void open_mmap_events();
  ExecImageLookup exec_image_lookup();
  void forget_old_exec_images();
  void on_process_start(std::uint32_t pid, bool exec);
  void name_from_exec(std::uint32_t pid, const char (&comm)[EMBER_COMM_LEN]);
  void on_process_fork(std::uint32_t pid, std::uint32_t parent);
  void after_loader(ProcessState& process, std::uint64_t user_ip);
  // Once a second: processes with a handler still setting up (a VM starting)
  // are refreshed, their maps changed or not.
  void resume_setups();
  bool watch_loader(ProcessState& process);
  void start_deferred(ProcessState& process);
  void attach_running_processes();
  bool filtered_out(const ProcessState& process) const;
  void close_window(std::int64_t end_ns);
  void step_metrics();
  void handle_reload();
  void schedule(std::int64_t now);  // window and metrics deadlines from now
  bool window_too_big() const;       // the open window past [agent] max_window_mb
  void replace_sinks(const std::set<std::string>& closing,
                     std::vector<PluginInstance<SinkPlugin>> added, const Config& next);
  // agent_sinks.cpp
  void start_sinks();
  // Finishes the named sinks (null: all, at exit) and drops the named ones'
  // plugins; those that missed their deadline stay loaded for good.
  Status finish_sinks(const std::set<std::string>* names);
  void log_sink_status();  // the counters, at info when something is wrong

  Config config_;
  std::shared_ptr<spdlog::logger> logger_;
  std::unique_ptr<Sampler> sampler_;
  // The kernel's mmap, exec and exit records (agent_mmap_events.cpp).
  std::unique_ptr<MmapEventStream> mmap_events_;
  std::uint64_t mmap_events_lost_reported_ = 0;
  PluginSet plugins_;
  std::unique_ptr<SinkRunner> sinks_;
  std::unique_ptr<RuntimeAttacher> runtimes_;
  // After the plugins: destroyed first, so handlers (and the frames they
  // made, in the aggregator) go before their plugins' code is unloaded.
  ProcessTable processes_;
  std::unique_ptr<StackBuilder> stacks_;
  // Captured samples waiting to be named (about 1 KiB each): two seconds'
  // worth at 999 Hz on two busy CPUs; named in slices of kNamingSliceNs
  // between reads of the ring.
  PendingSamples pending_{4096};
  static constexpr std::int64_t kNamingSliceNs = 2'000'000;
  // Records taken from the queue in one go, at most (then the clock, the
  // naming and the stop request get their turn).
  static constexpr std::int64_t kTakeSliceNs = 10'000'000;
  static constexpr std::int64_t kMaxPollWaitMs = 5;
  // How long a stop may spend on what is still queued and unnamed: a
  // backlog (a worker that fell behind) does not hold up `--duration`.
  static constexpr std::int64_t kStopDrainNs = 200'000'000;
  // With count_duration_from(): the sampling stops this long before the
  // duration ends, for the stop (the queue's rest, the window's close, the
  // sinks' writing: 0.1-0.3 s on a quiet host, up to 1 s at load 15).
  static constexpr std::int64_t kStopReserveNs = 300'000'000;
  static constexpr std::int64_t kMaxSetupTakenNs = 1'000'000'000;
  std::int64_t duration_origin_ns_ = 0;  // 0: the duration counts from sampling
  // Raw records between the reader thread and this one (the worker), sized
  // from the ring at create(); the reader thread only copies into it.
  std::unique_ptr<RecordQueue> queue_;
  QueueDrops queue_drops_;
  std::unique_ptr<ReaderThread> reader_;  // after what it uses: stopped first
  Aggregator aggregator_;
  WindowPrograms window_programs_;  // the open window's programs of each pid
  std::vector<std::regex> include_;
  std::vector<std::regex> exclude_;
  MetricsCollector metrics_;
  std::vector<std::uint32_t> metrics_pids_;
  std::int64_t last_metrics_step_ns_ = 0;
  std::string hostname_;
  std::vector<FrameHandle> stack_;
  std::unique_ptr<ember_sample> sample_ = std::make_unique<ember_sample>();  // ~70 KiB, reused
  Sampler::RecordHandler handler_;
  std::atomic<bool>* reload_requested_ = nullptr;
  std::function<Status(Config&)> load_config_;
  bool broken_ = false;  // a reload failed half-way: run() stops
  bool stopping_ = false;  // run() is closing its last window
  std::function<void()> when_sampling_;
  std::function<void(const RunProgress&)> progress_;
  // Processes seen, kept only for progress_: one bit per pid, so a long
  // whole-host record under churn stays under 1 MiB (pid_max is at most 2^22).
  std::vector<bool> sampled_pids_;
  std::size_t sampled_pid_count_ = 0;
  std::int64_t window_ns_ = 0;
  std::int64_t next_close_ = 0;  // monotonic
  std::int64_t metrics_ns_ = 0;
  std::int64_t next_metrics_ = 0;  // monotonic
  SamplerStats retired_stats_;     // of samplers replaced by reloads
  std::int64_t window_start_ns_ = 0;
  std::uint64_t window_number_ = 1;
  std::uint64_t lost_reported_ = 0;
  std::uint64_t snapshots_cut_reported_ = 0;
  std::uint64_t leaf_copies_dropped_reported_ = 0;
  std::uint64_t queue_lost_reported_ = 0;  // queue_drops_.samples in closed windows
  std::uint64_t unnamed_at_stop_ = 0;      // left by drain_until()
  std::uint64_t malformed_records_ = 0;
  std::uint64_t plugin_failures_ = 0;
  // Exec'd programs no plugin claims, not attached until their first sample.
  std::unordered_set<std::uint32_t> deferred_execs_;
  // Children of processes without an interpreter walk, by pid, until their
  // first sample, exec or exit: their parent's pid. A sample before the
  // child's exec runs the parent's image (see process_for).
  std::unordered_map<std::uint32_t, std::uint32_t> forked_from_;
  std::uint64_t execs_attached_ = 0;
  std::uint64_t execs_deferred_ = 0;
  std::uint64_t profiled_samples_ = 0;  // in every window of this run
  std::uint64_t min_samples_ = 0;       // extend_until_samples()
  double max_seconds_ = 0;
  std::uint64_t last_sample_ns_ = 0;         // BPF time (CLOCK_MONOTONIC) of the latest sample
  std::uint64_t longest_sample_gap_ns_ = 0;  // in the open window
  std::int64_t longest_ring_read_ns_ = 0;    // of reader threads stopped in the open window
};

// How the agent runs `instance`: its table's queue and deadline in `config`.
SinkEntry sink_entry(const PluginInstance<SinkPlugin>& instance, const Config& config);

// Wall clock (CLOCK_REALTIME) and monotonic clock now, in nanoseconds.
std::int64_t realtime_ns();
std::int64_t monotonic_ns();

// The sampler settings of a config.
SamplerOptions sampler_options(const Config& config);

// This host's name (the UTS namespace's), empty when it cannot be read.
std::string host_name();

}  // namespace ember

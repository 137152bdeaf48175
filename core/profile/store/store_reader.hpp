// Reading the local profile store (SQLite, written by plugins/sink/store).
// `ember report` and, later, the web UI and the Python module read through
// this interface only; they never see the schema.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ember/status.hpp"
#include "ember/window.hpp"

namespace ember::store {

// What a store holds, for "no data in that range" errors and pickers.
struct StoreSummary {
  std::int64_t first_ns = 0;  // start of the oldest window (wall clock), 0 if empty
  std::int64_t last_ns = 0;   // end of the newest window
  std::uint64_t windows = 0;
  std::vector<std::string> hosts;
  std::vector<std::string> services;   // distinct non-empty ProcessInfo::service
  std::vector<std::string> processes;  // distinct comm
  std::vector<std::string> kinds;      // frame kinds: the built-in ones and those stored
};

// One stored window's time span (added after the contract: timelines and
// per-window reads).
struct WindowSpan {
  std::int64_t start_ns = 0;
  std::int64_t end_ns = 0;
};

class StoreReader {
 public:
  virtual ~StoreReader() = default;

  // Opens read-only; a missing, corrupt or newer-schema file is an error
  // whose message says which and what to do.
  static Status open(const std::string& path, std::unique_ptr<StoreReader>& reader);

  virtual StoreSummary summary() const = 0;

  // Every window that overlaps [from_ns, to_ns) merged into one Window:
  // frames and stacks deduplicated, StackCount summed per (stack, pid, tid),
  // processes/threads once per pid/(pid, tid) (the newest metadata wins),
  // metrics of the range concatenated oldest first, start/end the covered span,
  // frequency_hz of the windows (the highest if they differ).
  virtual Status read(std::int64_t from_ns, std::int64_t to_ns, Window& merged) const = 0;

  // The same without samples, stacks and frames: the range's span, metrics,
  // processes and threads (what a chart of the range needs, a fraction of a
  // read's cost). By default a whole read.
  virtual Status read_metrics(std::int64_t from_ns, std::int64_t to_ns, Window& merged) const {
    return read(from_ns, to_ns, merged);
  }

  // The same as a read with each process' threads summed: every sample's
  // tid is 0 and there are no threads. A flame graph, a function table or a
  // target list of it is a read's; a day of rollups holds half as many rows
  // per process as per thread. By default a read, summed (sum_threads).
  virtual Status read_per_process(std::int64_t from_ns, std::int64_t to_ns, Window& merged) const;

  // The same as read_per_process without the metrics (host_metrics and
  // process_metrics empty): what a flame graph, a function table or an
  // export without them reads; a day's metrics are ~5% of its read. By
  // default a read_per_process (the metrics kept).
  virtual Status read_process_samples(std::int64_t from_ns, std::int64_t to_ns,
                                      Window& merged) const {
    return read_per_process(from_ns, to_ns, merged);
  }

  // Which processes a read keeps, judged on each pid's newest row
  // (`process` nullptr for a pid no row describes).
  using ProcessWanted = std::function<bool(const ProcessInfo* process, std::uint32_t pid)>;

  // The same as read_process_samples with only the processes `wanted` keeps
  // and their samples (stacks and frames only theirs): what a flame graph of
  // one target needs, without every process of the range (a churning host's
  // half hour is hundreds of thousands). By default a read_process_samples,
  // the rest dropped (keep_processes).
  virtual Status read_process_samples_of(std::int64_t from_ns, std::int64_t to_ns,
                                         const ProcessWanted& wanted, Window& merged) const;

  // The same as read_process_samples with the processes of one name folded
  // into one (process_reads.hpp): each distinct non-empty comm is one
  // process, the lowest pid of those that had it, every other field empty,
  // holding their samples; a process without a name is one of its own.
  // What a flame graph of everything draws (its roots are process names):
  // a churning host's half hour is hundreds of thousands of processes of a
  // few dozen names. By default a read_process_samples, folded.
  virtual Status read_process_names(std::int64_t from_ns, std::int64_t to_ns, Window& merged) const;

  // The samples counted per process without their stacks: a read per
  // process whose `stacks` and `frames` are empty, each (pid, labels) once
  // with stack 0. What a list of the range's targets needs, without decoding
  // a stack. By default a read_per_process (the stacks kept).
  virtual Status read_process_counts(std::int64_t from_ns, std::int64_t to_ns,
                                     Window& merged) const {
    return read_per_process(from_ns, to_ns, merged);
  }

  // The samples summed per stack alone: no processes, threads or metrics,
  // each stack once with pid and tid 0 and no labels. What a function table
  // of the whole range needs (a fleet's day has many times more (process,
  // stack) rows than stacks). By default a read_per_process (the processes
  // kept: the same table).
  virtual Status read_per_stack(std::int64_t from_ns, std::int64_t to_ns, Window& merged) const {
    return read_per_process(from_ns, to_ns, merged);
  }
  // Whether read_per_stack reads less than read_per_process (else a reader
  // that keeps reads asks for the fuller one, which serves both).
  virtual bool sums_per_stack() const { return false; }

  // The windows that overlap [from_ns, to_ns), oldest first.
  virtual Status windows(std::int64_t from_ns, std::int64_t to_ns,
                         std::vector<WindowSpan>& spans) const = 0;
};

// `window` with each process' threads summed (read_per_process): samples
// with the same pid, stack and labels become one, with tid 0, sorted by
// them; `threads` is emptied.
void sum_threads(Window& window);

// `window` with only the processes `wanted` keeps and their samples and
// threads (frames and stacks as they are).
void keep_processes(Window& window, const StoreReader::ProcessWanted& wanted);

}  // namespace ember::store

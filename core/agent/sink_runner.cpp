#include "sink_runner.hpp"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <chrono>
#include <tuple>

#include "logging.hpp"
#include "profile/store/summed_rows.hpp"
#include "window_bytes.hpp"

namespace ember {
namespace {

// The same window, whose last owner frees it and then runs `hook`.
std::shared_ptr<const Window> with_release_hook(std::shared_ptr<const Window> window,
                                                std::function<void()> hook) {
  const Window* shared = window.get();
  return std::shared_ptr<const Window>(
      shared, [window = std::move(window), hook = std::move(hook)](const Window*) mutable {
        window.reset();
        try {
          hook();
        } catch (...) {
          // A deleter must not throw; a trim or a log line missed is no loss.
        }
      });
}

// The window as sinks built before ABI 6.5 got it: one process per pid,
// the newest program's, with the samples of all (one count per pid, thread,
// stack and labels, as the agent counted them then). It holds `window`, so
// the window's release hook runs once both are freed.
std::shared_ptr<const Window> one_process_per_pid(std::shared_ptr<const Window> window) {
  auto folded = std::make_unique<Window>(*window);
  std::erase_if(folded->processes, [](const ProcessInfo& p) { return p.instance != 0; });
  for (StackCount& sample : folded->samples) sample.instance = 0;
  store::sum_rows_by(folded->samples,
                     [](const StackCount& s) { return std::tie(s.pid, s.tid, s.stack, s.labels); });
  const Window* shared = folded.get();
  return std::shared_ptr<const Window>(
      shared, [folded = std::move(folded), window = std::move(window)](const Window*) mutable {
        folded.reset();
        window.reset();
      });
}

}  // namespace

SinkRunner::SinkRunner(std::vector<SinkEntry> sinks, std::function<void()> after_window)
    : after_window_(std::move(after_window)) {
  for (const SinkEntry& sink : sinks) add(sink);
}

SinkRunner::~SinkRunner() {
  std::vector<std::string> abandoned;
  finish_all(abandoned);
}

void SinkRunner::add(const SinkEntry& sink) {
  workers_.push_back(std::make_unique<SinkWorker>(sink.name, sink.plugin, sink.settings));
}

void SinkRunner::set_priority(const std::string& priority) {
  for (auto& worker : workers_) worker->set_priority(priority);
}

void SinkRunner::submit(std::shared_ptr<const Window> window, bool last) {
  const std::size_t bytes = window_bytes(*window);
  const std::uint64_t samples = window->total_samples();
  if (after_window_ && !workers_.empty()) {
    window = with_release_hook(std::move(window), after_window_);
  }
  const bool programs_apart = std::any_of(window->processes.begin(), window->processes.end(),
                                          [](const ProcessInfo& p) { return p.instance != 0; });
  std::shared_ptr<const Window> folded;  // made for the first sink that needs it
  for (auto& worker : workers_) {
    if (programs_apart && worker->settings().one_process_per_pid) {
      if (!folded) folded = one_process_per_pid(window);
      worker->submit(folded, bytes, samples, last);
    } else {
      worker->submit(window, bytes, samples, last);
    }
  }
}

std::size_t SinkRunner::queued_bytes() const {
  // Windows are shared: one waiting for two sinks is counted once.
  std::size_t most = 0;
  for (const auto& worker : workers_) most = std::max(most, worker->counters().queued_bytes);
  return most;
}

Status SinkRunner::finish(const std::set<std::string>& names,
                          std::vector<std::string>& abandoned) {
  std::vector<std::unique_ptr<SinkWorker>> finishing;
  for (auto it = workers_.begin(); it != workers_.end();) {
    if (names.count((*it)->name())) {
      finishing.push_back(std::move(*it));
      it = workers_.erase(it);
    } else {
      ++it;
    }
  }
  // All at once: shutdown waits for the slowest sink, not for their sum.
  const auto started = std::chrono::steady_clock::now();
  for (auto& worker : finishing) worker->finish();
  auto logger = component_logger("sinks");
  Status result = Status::ok();
  for (auto& worker : finishing) {
    if (!worker->wait(started + worker->settings().flush_timeout)) {
      SinkCounters counters = worker->counters();
      const std::size_t windows = counters.queued + (counters.writing ? 1 : 0);
      const std::uint64_t samples = counters.queued_samples + counters.writing_samples;
      const auto seconds =
          std::chrono::duration_cast<std::chrono::seconds>(worker->settings().flush_timeout)
              .count();
      if (windows == 0) {
        logger->error(
            "sink.{} did not deliver, flush and close within {} s: abandoned in its flush or "
            "close, every window handed to it (raise its flush_timeout_seconds)",
            worker->name(), seconds);
      } else {
        logger->error(
            "sink.{} did not deliver, flush and close within {} s: abandoned, {} windows ({} "
            "samples) it had not written are lost (raise its flush_timeout_seconds)",
            worker->name(), seconds, windows, samples);
      }
      abandoned.push_back(worker->name());
      continue;
    }
    SinkCounters counters = worker->counters();
    logger->info("sink.{} closed: {} windows written, {} dropped, {} failed", worker->name(),
                 counters.written, counters.dropped, counters.failed);
    Status closed = worker->final_status();
    if (!closed) {
      logger->error("sink.{}: {}", worker->name(), closed.message());
      if (result) result = closed;
    }
  }
  return result;
}

Status SinkRunner::finish_all(std::vector<std::string>& abandoned) {
  std::set<std::string> names;
  for (const auto& worker : workers_) names.insert(worker->name());
  return finish(names, abandoned);
}

std::vector<std::pair<std::string, SinkCounters>> SinkRunner::counters() const {
  std::vector<std::pair<std::string, SinkCounters>> all;
  for (const auto& worker : workers_) all.emplace_back(worker->name(), worker->counters());
  return all;
}

std::string SinkRunner::status() const {
  std::string text;
  for (const auto& worker : workers_) {
    SinkCounters c = worker->counters();
    if (!text.empty()) text += "; ";
    text += worker->name() + " " + std::to_string(c.written) + " written, " +
            std::to_string(c.dropped) + " dropped, " + std::to_string(c.failed) + " failed, " +
            std::to_string(c.queued) + "/" + std::to_string(worker->settings().queue_windows) +
            " queued (" + fmt::format("{:.1f}", c.queued_bytes / 1048576.0) + " of " +
            std::to_string(worker->settings().queue_bytes >> 20) + " MiB)";
  }
  return text.empty() ? "none" : text;
}

bool SinkRunner::needs_attention() {
  std::uint64_t trouble = 0;
  bool backlog = false;
  for (const auto& worker : workers_) {
    SinkCounters c = worker->counters();
    trouble += c.dropped + c.failed;
    backlog = backlog || c.queued > 1;
  }
  const bool news = trouble != trouble_seen_;
  trouble_seen_ = trouble;
  return news || backlog;
}

}  // namespace ember

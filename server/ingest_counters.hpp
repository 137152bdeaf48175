// What ingest did since the server started: windows and samples stored,
// repeats answered without storing, and refusals by reason. Read by /metrics
// (Prometheus' text format) and the server's periodic log line.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace ember::server {

enum class Refusal {
  no_token,       // 401
  bad_token,      // 403
  too_large,      // 413 (the body, or what it inflates to)
  malformed,      // 400: parameters, not gzip, not a profile
  unavailable,    // 503: ClickHouse unreachable
  storage_error,  // 500: ClickHouse answered with an error
};
inline constexpr std::size_t kRefusalKinds = 6;

// "no_token", "bad_token", ...: the metric's reason label and the log's word.
const char* refusal_name(Refusal reason);
int refusal_status(Refusal reason);

class IngestCounters {
 public:
  void stored(std::uint64_t samples) {
    windows_.fetch_add(1, std::memory_order_relaxed);
    samples_.fetch_add(samples, std::memory_order_relaxed);
  }
  void repeated() { repeats_.fetch_add(1, std::memory_order_relaxed); }
  void refused(Refusal reason) {
    refused_[static_cast<std::size_t>(reason)].fetch_add(1, std::memory_order_relaxed);
  }

  std::uint64_t windows() const { return windows_.load(std::memory_order_relaxed); }
  std::uint64_t samples() const { return samples_.load(std::memory_order_relaxed); }
  std::uint64_t repeats() const { return repeats_.load(std::memory_order_relaxed); }
  std::uint64_t refusals(Refusal reason) const {
    return refused_[static_cast<std::size_t>(reason)].load(std::memory_order_relaxed);
  }

  // ember_server_ingested_windows_total, ..._samples_total,
  // ..._repeated_windows_total, ember_server_refused_total{reason="..."}.
  std::string prometheus() const;
  // "12 windows (3456 samples) stored, 1 repeat; refused: 2 bad_token, 1 too_large".
  std::string summary() const;

 private:
  std::atomic<std::uint64_t> windows_{0}, samples_{0}, repeats_{0};
  std::array<std::atomic<std::uint64_t>, kRefusalKinds> refused_{};
};

}  // namespace ember::server

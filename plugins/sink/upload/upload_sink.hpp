// The upload sink: every closed window, encoded as pprof (upload_request.hpp),
// goes first to a spool on disk (spool.hpp), then a sender thread of its own
// POSTs the spool's entries oldest first to [sink.upload] url, with a bearer
// token read from token_file, retrying with exponential backoff while the
// server is away. on_window only encodes and writes a file, so the host's
// queue before this sink stays short; a server outage costs only spool space,
// bounded by max_spool (the oldest entries are dropped first, and counted).
//
// [sink.upload]
//   url = "https://ember.example:4040/ingest"  required; http:// or https://
//   token_file = "/etc/ember/upload-token"     "" = no Authorization header
//   spool_dir = "/var/lib/ember/spool"         created 0700, entries 0600
//   max_spool = "256MiB"                       bytes on disk at most
//   timeout_seconds = 30                       one request
//   retry_max_seconds = 60                     the longest pause between tries
//   ca_file = ""                               CA certificates for https
//   app_name = "ember.cpu"                     Pyroscope's application name
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "ember/sink_plugin.hpp"
#include "http_post.hpp"
#include "spool.hpp"

namespace ember::upload_sink {

class UploadSink final : public SinkPlugin {
 public:
  ~UploadSink() override;
  std::string_view name() const override { return "upload"; }
  Status configure(const Options& options, Host& host) override;
  Status on_window(const Window& window) override;
  // Sends what the spool holds while the server takes it, for a few seconds
  // at most: what is left stays on disk for the next start.
  Status flush() override;
  Status close() override;
  bool keeps_history() const override { return true; }

  struct Counters {
    std::uint64_t sent = 0;     // windows the server took (2xx)
    std::uint64_t dropped = 0;  // from the full spool
    std::uint64_t refused = 0;  // the server said 4xx: never retried
    std::uint64_t failures = 0; // attempts that failed and are retried
  };
  Counters counters() const;

 private:
  Status start();  // opens the spool, starts the sender: at the first window
  void send_loop();
  // One attempt at the oldest entry; false when the sender should back off.
  bool send_oldest();
  bool read_token(std::string& token, std::string& problem) const;
  void log(LogLevel level, const std::string& message) const;

  Host* host_ = nullptr;
  std::string url_;
  std::string token_file_;
  std::string spool_dir_;
  std::uint64_t max_spool_ = 0;
  long timeout_seconds_ = 30;
  std::chrono::seconds retry_max_{60};
  std::string ca_file_;
  std::string app_name_;

  Spool spool_;
  bool started_ = false;
  bool closed_ = false;
  std::thread sender_;
  std::atomic<bool> abort_{false};  // close(): cut the request in flight short

  mutable std::mutex mutex_;
  std::condition_variable wake_;  // the sender: a new entry, or stop
  std::condition_variable tried_;  // flush(): the sender tried once more
  bool stopping_ = false;
  bool failing_ = false;            // the last attempt failed: backing off
  std::uint64_t outage_dropped_ = 0;  // spool drops since the server last took one
  std::uint64_t outage_failures_ = 0;
  Counters counters_;
};

}  // namespace ember::upload_sink

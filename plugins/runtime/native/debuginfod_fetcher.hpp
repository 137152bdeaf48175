// Debug files fetched by build id from debuginfod servers, the last source
// of an object's names and lines (after its own DWARF, the debug
// directories and MiniDebugInfo). Nothing here runs on the reader's thread
// but request(), which only queues: worker threads of their own download
// (through libdebuginfod, into its cache under the agent's cache_dir) and
// read the file's symbols, and the object's symbols take it in on their next
// lookup. Frames named before it arrives stay module+offset; the symbolizer
// does not keep those, so the same addresses are named once it is there.
//
// Bounded: a few fetches at a time, a bounded queue (a request beyond it
// fails at once), and a failed build id is not asked again for a while,
// whoever requests it, so a server that is down or lacks the file costs one
// request per object per retry interval. The first failure that is not "the
// servers have no such file" is a warning; the rest are debug lines.
//
// A debug file that dwz compressed comes with its alt file: from the host
// when it is there, else fetched by its build id the same way (as elfutils'
// own tools do) before the debug file is handed over. A debug file whose
// alt file cannot be had is handed over without it (said once at warning
// level, then at debug): its lines stay, what dwz moved (names of inlined
// functions, strings) is missing.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "debug_file_finder.hpp"
#include "debuginfod_library.hpp"
#include "ember/host.hpp"

namespace ember::native {

// One object's request: pending until a worker has fetched and read the
// file, or given up.
class FetchedDebugFile {
 public:
  enum class State { pending, ready, failed };
  State state() const { return state_.load(std::memory_order_acquire); }
  // Once ready: the file, for its one taker.
  DebugFile take() { return std::move(file_); }

 private:
  friend class DebuginfodFetcher;
  std::atomic<State> state_{State::pending};
  DebugFile file_;
};

class DebuginfodFetcher {
 public:
  using Clock = std::chrono::steady_clock;
  struct Settings {
    std::vector<std::string> urls;  // as DEBUGINFOD_URLS lists them
    std::string cache_path;         // libdebuginfod's cache (DEBUGINFOD_CACHE_PATH)
    std::vector<std::string> debug_dirs;  // where alt files are looked for on the host first
    // The cache is trimmed to this at start and after each fetch, least
    // recently used files first (debuginfod_cache.hpp).
    std::uint64_t max_cache_bytes = std::uint64_t{1} << 30;
    std::size_t workers = 2;        // fetches at once
    std::size_t max_queued = 256;
    Clock::duration retry_after = std::chrono::minutes(10);
  };

  // Trims the cache and starts the workers. Sets DEBUGINFOD_URLS and
  // DEBUGINFOD_CACHE_PATH in the agent's environment (the only way
  // libdebuginfod takes them). Null,
  // with `error` saying why, when libdebuginfod cannot be loaded or the
  // cache directory cannot be made.
  static std::shared_ptr<DebuginfodFetcher> start(Settings settings, Host& host,
                                                  std::string& error);
  // Cuts fetches in flight short (within about a second) and joins.
  ~DebuginfodFetcher();
  DebuginfodFetcher(const DebuginfodFetcher&) = delete;
  DebuginfodFetcher& operator=(const DebuginfodFetcher&) = delete;

  // The debug file of `build_id` (lowercase hex), fetched in the background.
  // Never blocks on the network. Also fetches a dwz alt file by its build
  // id (for a local debug file whose alt file is not on the host).
  std::shared_ptr<FetchedDebugFile> request(const std::string& build_id);

  // Downloads asked of libdebuginfod so far (for tests and metrics).
  std::size_t fetches() const { return fetches_.load(); }

 private:
  DebuginfodFetcher(Settings settings, Host& host, const DebuginfodLibrary& library);
  void work();
  void fetch(const std::string& build_id, debuginfod_client* client);
  // The downloaded file of `build_id` (its path in the cache); false with
  // `why` (and `missing`: the servers have no such file).
  bool download(const std::string& build_id, debuginfod_client* client, std::string& path,
                std::string& why, bool& missing);
  void add_alt_file(DebugFile& file, const std::string& build_id, debuginfod_client* client);
  // A failed build id is not asked again for a while (under mutex_).
  void remember_failure_locked(const std::string& build_id);
  void trim_cache(std::int64_t keep_since_ns);
  void report_failure(const std::string& what, bool missing);
  static int progress(debuginfod_client* client, long done, long total);

  Settings settings_;
  Host& host_;
  const DebuginfodLibrary& library_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> warned_{false};
  std::atomic<std::size_t> fetches_{0};
  std::mutex mutex_;
  std::mutex trim_mutex_;  // one trim at a time
  std::condition_variable wake_;
  std::deque<std::string> queue_;
  // Build ids queued or in flight, and who waits for each.
  std::unordered_map<std::string, std::vector<std::weak_ptr<FetchedDebugFile>>> waiting_;
  std::unordered_map<std::string, Clock::time_point> failed_until_;
  std::vector<std::thread> workers_;
};

}  // namespace ember::native

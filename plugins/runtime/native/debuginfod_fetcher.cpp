#include "debuginfod_fetcher.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <limits>

#include "debuginfod_cache.hpp"

namespace ember::native {
namespace {

// Failed build ids remembered at most; beyond it the expired ones go, then all.
constexpr std::size_t kMaxRemembered = 4096;

std::int64_t realtime_ns() {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

// What a worker's fetch in flight checks to be cut short.
thread_local const std::atomic<bool>* t_stopping = nullptr;

std::string joined(const std::vector<std::string>& urls) {
  std::string out;
  for (const std::string& url : urls) out += (out.empty() ? "" : " ") + url;
  return out;
}

// Only a changed value is set: the workers of an earlier configuration may
// be reading the environment meanwhile.
void set_environment(const char* name, const std::string& value) {
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  const char* now = std::getenv(name);
  if (!now || value != now) ::setenv(name, value.c_str(), 1);
}

}  // namespace

std::shared_ptr<DebuginfodFetcher> DebuginfodFetcher::start(Settings settings, Host& host,
                                                            std::string& error) {
  const DebuginfodLibrary* library = DebuginfodLibrary::load(error);
  if (!library) return nullptr;
  std::error_code made;
  std::filesystem::create_directories(settings.cache_path, made);
  if (made) {
    error = "cannot create " + settings.cache_path + ": " + made.message();
    return nullptr;
  }
  set_environment(DEBUGINFOD_URLS_ENV_VAR, joined(settings.urls));
  set_environment(DEBUGINFOD_CACHE_PATH_ENV_VAR, settings.cache_path);
  // No DEBUGINFOD_MAXSIZE: libdebuginfod 0.188 then prints "using max size"
  // to its verbose fd even when it has none (-1), and glibc keeps that
  // dprintf's 8 KiB buffer: a leak per fetch. The trim after a fetch bounds
  // the cache instead.
  std::shared_ptr<DebuginfodFetcher> fetcher(
      new DebuginfodFetcher(std::move(settings), host, *library));
  fetcher->trim_cache(std::numeric_limits<std::int64_t>::max());
  return fetcher;
}

DebuginfodFetcher::DebuginfodFetcher(Settings settings, Host& host,
                                     const DebuginfodLibrary& library)
    : settings_(std::move(settings)), host_(host), library_(library) {
  try {
    for (std::size_t i = 0; i < std::max<std::size_t>(settings_.workers, 1); ++i) {
      workers_.emplace_back([this] { work(); });
    }
  } catch (...) {
    stopping_ = true;
    wake_.notify_all();
    for (std::thread& worker : workers_) worker.join();
    throw;
  }
}

DebuginfodFetcher::~DebuginfodFetcher() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

std::shared_ptr<FetchedDebugFile> DebuginfodFetcher::request(const std::string& build_id) {
  auto slot = std::make_shared<FetchedDebugFile>();
  std::lock_guard lock(mutex_);
  if (auto failed = failed_until_.find(build_id); failed != failed_until_.end()) {
    if (Clock::now() < failed->second) {
      slot->state_.store(FetchedDebugFile::State::failed, std::memory_order_release);
      return slot;
    }
    failed_until_.erase(failed);
  }
  auto [waiting, added] = waiting_.try_emplace(build_id);
  if (added) {
    if (queue_.size() >= settings_.max_queued) {
      waiting_.erase(waiting);
      host_.log(LogLevel::debug, "debuginfod: " + std::to_string(queue_.size()) +
                                     " fetches queued, build id " + build_id + " is not asked");
      slot->state_.store(FetchedDebugFile::State::failed, std::memory_order_release);
      return slot;
    }
    queue_.push_back(build_id);
    wake_.notify_one();
  }
  waiting->second.push_back(slot);
  return slot;
}

int DebuginfodFetcher::progress(debuginfod_client* client, long done, long total) {
  (void)client;
  (void)done;
  (void)total;
  return t_stopping && t_stopping->load() ? 1 : 0;  // non-zero cancels the transfer
}

void DebuginfodFetcher::work() {
  t_stopping = &stopping_;
  debuginfod_client* client = library_.begin();
  if (client) library_.set_progressfn(client, &DebuginfodFetcher::progress);
  for (;;) {
    std::string build_id;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) break;
      build_id = std::move(queue_.front());
      queue_.pop_front();
    }
    fetch(build_id, client);
  }
  if (client) library_.end(client);
}

bool DebuginfodFetcher::download(const std::string& build_id, debuginfod_client* client,
                                 std::string& path, std::string& why, bool& missing) {
  ++fetches_;
  char* fetched = nullptr;
  int fd = client ? library_.find_debuginfo(
                        client, reinterpret_cast<const unsigned char*>(build_id.c_str()), 0,
                        &fetched)
                  : -ENOMEM;
  path = fetched ? fetched : "";
  std::free(fetched);
  if (fd < 0) {
    why = std::strerror(-fd);
    missing = fd == -ENOENT;
    return false;
  }
  ::close(fd);
  return true;
}

void DebuginfodFetcher::remember_failure_locked(const std::string& build_id) {
  Clock::time_point now = Clock::now();
  if (failed_until_.size() >= kMaxRemembered) {
    std::erase_if(failed_until_, [now](const auto& item) { return item.second <= now; });
    if (failed_until_.size() >= kMaxRemembered) failed_until_.clear();
  }
  failed_until_[build_id] = now + settings_.retry_after;
}

void DebuginfodFetcher::add_alt_file(DebugFile& file, const std::string& build_id,
                                     debuginfod_client* client) {
  AltDebugFile& alt = file.alt;
  if (!alt.wanted() || find_alt_file(file.path, {""}, settings_.debug_dirs, alt)) return;
  std::string what = "debuginfod: the debug file of build id " + build_id +
                     " is taken without its dwz alt file " + alt.name + " (build id " +
                     alt.build_id + "): ";
  {
    std::lock_guard lock(mutex_);
    auto failed = failed_until_.find(alt.build_id);
    if (failed != failed_until_.end() && Clock::now() < failed->second) {
      host_.log(LogLevel::debug, what + "it failed less than a retry interval ago");
      return;
    }
  }
  std::string path;
  std::string why;
  bool missing = false;
  if (download(alt.build_id, client, path, why, missing) && open_alt_file(path, alt, why)) {
    host_.log(LogLevel::debug, "debuginfod: dwz alt file of build id " + build_id + ": " + path);
    mark_used(path);
    return;
  }
  {
    std::lock_guard lock(mutex_);
    remember_failure_locked(alt.build_id);
  }
  // A server with the debug file but not its alt file is worth a warning.
  if (!stopping_) {
    report_failure(what + why + "; the names dwz moved there (inlined functions') stay missing",
                   false);
  }
}

void DebuginfodFetcher::fetch(const std::string& build_id, debuginfod_client* client) {
  std::int64_t started_ns = realtime_ns();
  std::string path;
  std::string why;
  bool missing = false;
  DebugFile file;
  bool ok = download(build_id, client, path, why, missing) &&
            open_debug_file(path, build_id, file, why);
  if (ok) add_alt_file(file, build_id, client);

  std::vector<std::weak_ptr<FetchedDebugFile>> waiting;
  {
    std::lock_guard lock(mutex_);
    if (auto it = waiting_.find(build_id); it != waiting_.end()) {
      waiting = std::move(it->second);
      waiting_.erase(it);
    }
    if (!ok) remember_failure_locked(build_id);
  }
  if (!ok) {
    if (!stopping_) {
      report_failure("debuginfod: no debug file for build id " + build_id + ": " + why +
                         "; objects without local debug info keep module+offset names",
                     missing);
    }
    for (const auto& weak : waiting) {
      if (auto slot = weak.lock()) {
        slot->state_.store(FetchedDebugFile::State::failed, std::memory_order_release);
      }
    }
    return;
  }
  host_.log(LogLevel::debug, "debuginfod: build id " + build_id + ": " + path);
  // Files written or used since this fetch began stay: this one (and its
  // alt file), and what other workers are downloading.
  mark_used(path);
  trim_cache(started_ns);
  AltDebugFile alt = file.alt;
  bool first = true;
  for (const auto& weak : waiting) {
    auto slot = weak.lock();
    if (!slot) continue;
    // Rarely more than one object asks for the same build id: each gets a copy.
    if (first) {
      slot->file_ = std::move(file);
      first = false;
    } else if (open_debug_file(path, build_id, slot->file_, why)) {
      slot->file_.alt = alt;
    } else {
      slot->state_.store(FetchedDebugFile::State::failed, std::memory_order_release);
      continue;
    }
    slot->state_.store(FetchedDebugFile::State::ready, std::memory_order_release);
  }
}

void DebuginfodFetcher::trim_cache(std::int64_t keep_since_ns) {
  std::lock_guard lock(trim_mutex_);
  CacheTrim trim =
      trim_debuginfod_cache(settings_.cache_path, settings_.max_cache_bytes, keep_since_ns);
  if (trim.removed_files == 0) return;
  host_.log(LogLevel::debug, "debuginfod: removed " + std::to_string(trim.removed_files) +
                                 " least recently used files (" +
                                 std::to_string(trim.removed_bytes >> 20) + " MB) from " +
                                 settings_.cache_path + ", " +
                                 std::to_string(trim.kept_bytes >> 20) + " MB kept");
}

void DebuginfodFetcher::report_failure(const std::string& what, bool missing) {
  // A server that answers "not here" works: most objects are not on it.
  if (missing || warned_.exchange(true)) {
    host_.log(LogLevel::debug, what);
    return;
  }
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(settings_.retry_after).count();
  host_.log(LogLevel::warn,
            what + " (servers: " + joined(settings_.urls) + "); a build id is asked again after " +
                std::to_string(seconds) + " s, and later failures are logged at debug level");
}

}  // namespace ember::native

#include "upload_sink.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <exception>
#include <fstream>
#include <sstream>
#include <system_error>

#include "ember/option_reader.hpp"
#include "option_units.hpp"
#include "upload_request.hpp"

namespace ember::upload_sink {
namespace {

constexpr std::string_view kSection = "sink.upload";
// flush() sends for this long at most: the spool keeps the rest on disk.
constexpr auto kFlushBudget = std::chrono::seconds(5);
constexpr std::uint64_t kMinSpool = 1024;

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// The host of an http(s) URL, without port or brackets.
std::string host_of(const std::string& url) {
  std::string rest = url.substr(url.find("://") + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  rest = rest.substr(rest.find('@') == std::string::npos ? 0 : rest.find('@') + 1);
  if (!rest.empty() && rest[0] == '[') return rest.substr(1, rest.find(']') - 1);
  return rest.substr(0, rest.find(':'));
}

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || starts_with(host, "127.");
}

bool valid_app_name(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string kib(std::uint64_t bytes) { return std::to_string((bytes + 1023) / 1024) + " KiB"; }

}  // namespace

UploadSink::~UploadSink() { close(); }

Status UploadSink::configure(const Options& options, Host& host) {
  try {
    host_ = &host;
    OptionReader reader(options, std::string(kSection));
    url_ = reader.get_string("url", "");
    token_file_ = reader.get_string("token_file", "");
    spool_dir_ = reader.get_string("spool_dir", "/var/lib/ember/spool");
    const std::string max_spool = reader.get_string("max_spool", "256MiB");
    timeout_seconds_ = static_cast<long>(reader.get_int("timeout_seconds", 30, 1, 3600));
    retry_max_ = std::chrono::seconds(reader.get_int("retry_max_seconds", 60, 1, 3600));
    ca_file_ = reader.get_string("ca_file", "");
    app_name_ = reader.get_string("app_name", "ember.cpu");
    if (url_.empty()) {
      reader.fail("url", "is required: the server's ingest URL, e.g. "
                         "\"https://ember.example:4040/ingest\"");
    } else if ((!starts_with(url_, "http://") && !starts_with(url_, "https://")) ||
               host_of(url_).empty()) {
      reader.fail("url", "\"" + url_ + "\" is not an http:// or https:// URL with a host");
    }
    if (spool_dir_.empty()) reader.fail("spool_dir", "is empty: name the spool's directory");
    if (auto size = formats::parse_size(max_spool); size && *size >= std::int64_t(kMinSpool)) {
      max_spool_ = static_cast<std::uint64_t>(*size);
    } else {
      reader.fail("max_spool", "\"" + max_spool +
                                   "\" is not a size of 1KiB or more: a number with B, KB, MB, "
                                   "GB, KiB, MiB or GiB (\"256MiB\")");
    }
    if (!valid_app_name(app_name_)) {
      reader.fail("app_name", "\"" + app_name_ + "\": use letters, digits, '.', '_' and '-'");
    }
    if (!token_file_.empty()) {
      std::string token, problem;
      if (!read_token(token, problem)) reader.fail("token_file", problem);
    }
    if (!ca_file_.empty() && ::access(ca_file_.c_str(), R_OK) != 0) {
      reader.fail("ca_file", "cannot read " + ca_file_ + ": " +
                                 std::error_code(errno, std::generic_category()).message());
    }
    Status status = reader.finish();
    if (!status) return status;
    if (!token_file_.empty() && starts_with(url_, "http://") && !is_loopback(host_of(url_))) {
      log(LogLevel::warn, "the token goes to " + host_of(url_) +
                              " unencrypted (http://): use an https:// url");
    }
    init_http();
    // The spool is opened with the first window: configure only judges the
    // table (--check-config asks it too).
    return Status::ok();
  } catch (const std::exception& e) {
    return Status::error(std::string(kSection) + ": " + e.what());
  }
}

bool UploadSink::read_token(std::string& token, std::string& problem) const {
  std::ifstream file(token_file_, std::ios::binary);
  if (!file) {
    problem = "cannot read " + token_file_ + ": " +
              std::error_code(errno, std::generic_category()).message();
    return false;
  }
  std::ostringstream text;
  text << file.rdbuf();
  token = text.str();
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) {
    token.pop_back();
  }
  if (token.empty()) {
    problem = token_file_ + " is empty: it holds the server's bearer token";
    return false;
  }
  for (char c : token) {
    if (static_cast<unsigned char>(c) < 0x21 || c == 0x7f) {
      problem = token_file_ + " holds more than one token (a space or control character)";
      return false;
    }
  }
  return true;
}

void UploadSink::log(LogLevel level, const std::string& message) const {
  if (host_) host_->log(level, message);
}

Status UploadSink::start() {
  Status opened = spool_.open(spool_dir_, max_spool_);
  if (!opened) return Status::error(std::string(kSection) + ": " + opened.message());
  if (std::size_t waiting = spool_.entries()) {
    log(LogLevel::info, std::to_string(waiting) + " windows an earlier run left in " + spool_dir_ +
                            " are sent first");
  }
  sender_ = std::thread([this] { send_loop(); });
  started_ = true;
  return Status::ok();
}

Status UploadSink::on_window(const Window& window) {
  try {
    if (closed_) return Status::error(std::string(kSection) + ": window after close");
    if (!started_) {
      if (Status started = start(); !started) return started;
    }
    std::uint64_t dropped = 0;
    Status added = spool_.add(window.start_ns, spool_entry(window, app_name_), dropped);
    if (!added) return Status::error(std::string(kSection) + ": " + added.message());
    if (dropped) {
      bool first;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        counters_.dropped += dropped;
        first = outage_dropped_ == 0;
        outage_dropped_ += dropped;
      }
      if (first) {
        log(LogLevel::error, "the spool " + spool_dir_ + " is full (max_spool " +
                                 kib(max_spool_) + "): its oldest windows are dropped until " +
                                 "the server takes windows again");
      }
    }
    {
      // Under the sender's lock: it looks at the spool under it and then
      // waits, and a wake in between would leave this window waiting for the
      // next one.
      std::lock_guard<std::mutex> lock(mutex_);
      wake_.notify_one();
    }
    return Status::ok();
  } catch (const std::exception& e) {
    return Status::error(std::string(kSection) + ": " + e.what());
  }
}

void UploadSink::send_loop() {
  const auto first_pause = std::min<std::chrono::seconds>(std::chrono::seconds(1), retry_max_);
  auto pause = first_pause;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || spool_.entries() > 0; });
      if (stopping_) return;
    }
    const bool sent = send_oldest();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      failing_ = !sent;
    }
    tried_.notify_all();
    if (sent) {
      pause = first_pause;
      continue;
    }
    std::unique_lock<std::mutex> lock(mutex_);
    // New windows do not cut the pause short: the server is away.
    if (wake_.wait_for(lock, pause, [&] { return stopping_; })) return;
    pause = std::min(pause * 2, retry_max_);
  }
}

bool UploadSink::send_oldest() {
  std::optional<std::string> name = spool_.take_oldest();
  if (!name) return true;
  std::string entry;
  std::string_view query, body;
  if (Status read = spool_.read(*name, entry); !read || !split_entry(entry, query, body)) {
    spool_.release(*name, true);
    log(LogLevel::error, read ? spool_dir_ + "/" + *name + " is not an upload entry: removed"
                              : read.message());
    return true;
  }
  HttpRequest request;
  request.url = url_ + (url_.find('?') == std::string::npos ? "?" : "&") + std::string(query);
  request.body.assign(body);
  request.ca_file = ca_file_;
  request.timeout_seconds = timeout_seconds_;
  request.headers = {"Content-Type: application/octet-stream", "X-Ember-Entry: " + *name,
                     "Expect:"};
  std::string failure;
  HttpResponse response;
  if (!token_file_.empty()) {
    std::string token;
    if (read_token(token, failure)) request.headers.push_back("Authorization: Bearer " + token);
  }
  if (failure.empty()) {
    response = http_post(request, abort_);
    if (response.status == 0) {
      failure = response.error;
    } else if (response.status == 401 || response.status == 403) {
      failure = "HTTP " + std::to_string(response.status) + ": the server refused the token (" +
                token_file_ + ")";
    } else if (response.status >= 300) {
      failure = "HTTP " + std::to_string(response.status) + " " + response.body.substr(0, 200);
    }
  }
  const bool taken = failure.empty();
  // 4xx but a refused token, a timeout or too many requests: this entry will
  // never be taken; keeping it would block every later one.
  const bool refused = response.status >= 400 && response.status < 500 &&
                       response.status != 401 && response.status != 403 &&
                       response.status != 408 && response.status != 429;
  const std::uint64_t dropped = spool_.release(*name, taken || refused);
  std::unique_lock<std::mutex> lock(mutex_);
  counters_.dropped += dropped;
  outage_dropped_ += dropped;
  if (taken) {
    ++counters_.sent;
    if (outage_failures_ || outage_dropped_) {
      std::string back = "the server at " + url_ + " takes windows again after " +
                         std::to_string(outage_failures_) + " failed attempts; " +
                         std::to_string(outage_dropped_) +
                         " windows were dropped from the full spool meanwhile";
      const LogLevel level = outage_dropped_ ? LogLevel::error : LogLevel::info;
      outage_failures_ = outage_dropped_ = 0;
      lock.unlock();
      log(level, back);
    }
    return true;
  }
  if (refused) {
    ++counters_.refused;
    lock.unlock();
    log(LogLevel::error, "the server refused a window (" + failure + "): dropped, not retried");
    return true;
  }
  if (abort_.load()) return false;  // closing: not an outage
  ++counters_.failures;
  if (outage_failures_++ == 0) {
    lock.unlock();
    log(LogLevel::warn, "cannot upload to " + url_ + ": " + failure +
                            "; windows wait in the spool " + spool_dir_ +
                            " and are retried, at most " + std::to_string(retry_max_.count()) +
                            " s apart");
  }
  return false;
}

Status UploadSink::flush() {
  if (!started_ || closed_) return Status::ok();
  std::unique_lock<std::mutex> lock(mutex_);
  wake_.notify_one();
  tried_.wait_for(lock, kFlushBudget,
                  [&] { return failing_ || stopping_ || spool_.entries() == 0; });
  return Status::ok();
}

Status UploadSink::close() {
  if (closed_) return Status::ok();
  closed_ = true;
  if (!started_) return Status::ok();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  abort_ = true;
  wake_.notify_all();
  if (sender_.joinable()) sender_.join();
  Counters c = counters();
  std::string summary = std::to_string(c.sent) + " windows sent, " + std::to_string(c.dropped) +
                        " dropped from the full spool, " + std::to_string(c.refused) +
                        " refused by the server";
  if (std::size_t waiting = spool_.entries()) {
    summary += "; " + std::to_string(waiting) + " (" + kib(spool_.bytes()) + ") wait in " +
               spool_dir_ + " for the next start";
  }
  log(LogLevel::info, summary);
  return Status::ok();
}

UploadSink::Counters UploadSink::counters() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return counters_;
}

}  // namespace ember::upload_sink

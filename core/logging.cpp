#include "logging.hpp"

#include <bpf/libbpf.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdarg>
#include <cstdio>
#include <mutex>

namespace ember {
namespace {

std::mutex loggers_mutex;

int libbpf_print(enum libbpf_print_level level, const char* format, va_list args) {
  char message[1024];
  int length = std::vsnprintf(message, sizeof(message), format, args);
  if (length > 0 && message[std::min<std::size_t>(length, sizeof(message) - 1) - 1] == '\n') {
    message[std::min<std::size_t>(length, sizeof(message) - 1) - 1] = '\0';
  }
  auto logger = component_logger("libbpf");
  switch (level) {
    case LIBBPF_WARN:
      logger->warn("{}", message);
      break;
    case LIBBPF_INFO:
      logger->debug("{}", message);
      break;
    case LIBBPF_DEBUG:
      logger->trace("{}", message);
      break;
  }
  return length;
}

// %* : the message as the inside of a JSON string (quotes, backslashes and
// control characters escaped), for log_format = "json".
class JsonMessageFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    for (char c : msg.payload) {
      auto u = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        dest.push_back('\\');
        dest.push_back(c);
      } else if (u < 0x20) {
        char escaped[8];
        std::snprintf(escaped, sizeof(escaped), "\\u%04x", u);
        dest.append(escaped, escaped + 6);
      } else {
        dest.push_back(c);
      }
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessageFlag>();
  }
};

// Every component's records go to stderr through this one sink, so that a
// status line on the terminal (ember record's) can be taken down before a
// record and put back after it, instead of the two running into each other.
class StderrSink : public spdlog::sinks::sink {
 public:
  void log(const spdlog::details::log_msg& msg) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!status_.empty()) std::fputs("\r\033[K", stderr);
    stderr_->log(msg);
    stderr_->flush();
    draw_status();
  }
  void flush() override { stderr_->flush(); }
  void set_pattern(const std::string& pattern) override { stderr_->set_pattern(pattern); }
  void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override {
    stderr_->set_formatter(std::move(formatter));
  }
  void set_status(std::string text) {
    std::lock_guard<std::mutex> lock(mutex_);
    bool was_shown = !status_.empty();
    status_ = std::move(text);
    if (was_shown && status_.empty()) std::fputs("\r\033[K", stderr);
    draw_status();
  }

 private:
  void draw_status() {
    if (status_.empty()) return;
    std::fputs("\r\033[K", stderr);
    std::fputs(status_.c_str(), stderr);
    std::fflush(stderr);
  }

  std::mutex mutex_;
  std::string status_;
  std::shared_ptr<spdlog::sinks::sink> stderr_ =
      std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
};

// Never destroyed: loggers may still write from static destructors.
const std::shared_ptr<StderrSink>& stderr_sink() {
  static auto* sink = new std::shared_ptr<StderrSink>(std::make_shared<StderrSink>());
  return *sink;
}

}  // namespace

void set_status_line(std::string text) { stderr_sink()->set_status(std::move(text)); }

Status setup_logging(const std::string& level, const std::string& format) {
  auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") {
    return Status::error("unknown log level '" + level +
                         "' (use trace, debug, info, warn, error or off)");
  }
  spdlog::set_level(parsed);
  if (format == "json") {
    // One object per line, UTC time, for log collectors.
    auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    formatter->add_flag<JsonMessageFlag>('*').set_pattern(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","component":"%n","message":"%*"})");
    spdlog::set_formatter(std::move(formatter));
  } else if (format == "text") {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v");
  } else {
    return Status::error("unknown log format '" + format + "' (use text or json)");
  }
  libbpf_set_print(libbpf_print);
  return Status::ok();
}

std::shared_ptr<spdlog::logger> component_logger(const std::string& name) {
  std::lock_guard<std::mutex> lock(loggers_mutex);
  if (auto existing = spdlog::get(name)) return existing;
  auto logger = std::make_shared<spdlog::logger>(name, stderr_sink());
  logger->set_level(spdlog::get_level());
  spdlog::initialize_logger(logger);
  return logger;
}

}  // namespace ember
